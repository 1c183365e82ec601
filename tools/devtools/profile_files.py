"""The profiles of ``profiles/`` made concrete for one test or benchmark run.

Each run gets its own project, registry and SQLite files in a directory of its own, with the
profile's ``${VAR}`` filled in from the servers it started (an S3 registry stays where the profile
puts it). Product code selects profiles through ``feature_repo.core.profiles``; this module is for the
tests and ``delivery-fs-bench`` only.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from feature_repo.core.paths import REPO_ROOT
from feature_repo.core.profiles import DEFAULT_CONFIG, ProfileError

PROFILE_FILES = {
    "sqlite": DEFAULT_CONFIG,
    "redis": REPO_ROOT / "profiles" / "feature_store.redis.yaml",
    "redis_cluster": REPO_ROOT / "profiles" / "feature_store.redis_cluster.yaml",
    "dynamodb": REPO_ROOT / "profiles" / "feature_store.aws.yaml",
    "spark": REPO_ROOT / "profiles" / "feature_store.spark.yaml",
}


def profile_config(profile: str, directory: Path, variables: dict[str, str], project: str) -> Path:
    """The profile's file with its ``${VAR}`` filled in, a project of its own (a test's, the
    benchmark's), and local registry and SQLite files in ``directory``."""
    text = PROFILE_FILES[profile].read_text()
    for name, value in variables.items():
        text = text.replace(f"${{{name}}}", value)
    unset = [line for line in text.splitlines() if "${" in line.split("#", 1)[0]]
    if unset:
        raise ProfileError(f"variables left unset in the {profile} profile: {unset}")
    config = yaml.safe_load(text)
    config["project"] = project
    if not config["registry"]["path"].startswith("s3://"):
        config["registry"]["path"] = str(directory / "registry.db")
    if str(config["online_store"]["type"]).endswith(("sqlite", "SqliteOnlineStore")):
        config["online_store"]["path"] = str(directory / "online_store.db")
    path = directory / f"feature_store.{profile}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path
