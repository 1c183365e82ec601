"""Which feature_store.yaml a command uses: Feast's own ``-f`` / ``FEAST_FS_YAML_FILE_PATH``.

``feast`` and ``delivery-fs`` read the same variable, so one export selects a profile for both.
Profiles take endpoints from the environment through Feast's ``${VAR}`` substitution
(``os.path.expandvars``, which leaves an unset variable as it is): an unset one is reported here
by name instead of surfacing later as a strange host or region.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import yaml

from feature_repo.core.errors import FeatureStoreError
from feature_repo.core.paths import REPO_ROOT

PROFILE_ENV = "FEAST_FS_YAML_FILE_PATH"
DEFAULT_CONFIG = REPO_ROOT / "feature_store.yaml"
_VARIABLE = re.compile(r"\$\{(\w+)\}")


class ProfileError(FeatureStoreError):
    """A profile that cannot be used as configured."""


def selected_config(config_path: Path | None = None) -> Path:
    """``config_path``, else ``$FEAST_FS_YAML_FILE_PATH`` (relative to the working directory), else the default."""
    if config_path is not None:
        return Path(config_path)
    configured = os.environ.get(PROFILE_ENV)
    return Path(configured).resolve() if configured else DEFAULT_CONFIG


def missing_variables(config_path: Path) -> list[str]:
    """Environment variables that the file refers to as ``${NAME}`` and that are not set."""
    text = "\n".join(
        line.split("#", 1)[0] for line in config_path.read_text().splitlines()
    )  # comments may name variables too
    return sorted({name for name in _VARIABLE.findall(text) if name not in os.environ})


def checked_config(config_path: Path | None = None) -> Path:
    """The selected feature_store.yaml, once it exists and every variable it uses is set."""
    path = selected_config(config_path)
    if not path.exists():
        raise ProfileError(f"{path} does not exist: set {PROFILE_ENV} (or -f) to a profile file.")
    missing = missing_variables(path)
    if missing:
        raise ProfileError(
            f"{path} uses {', '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} not set: "
            "export it (see docs/profiles/index.md)."
        )
    return path


SOURCES_ENV = "DELIVERY_FS_SOURCES"
SOURCE_KINDS = ("file", "spark")


def source_kind(config_path: Path | None = None) -> str:
    """Which kind of source the definitions build: ``file`` (DuckDB, dask) or ``spark``.

    ``$DELIVERY_FS_SOURCES`` when set, else ``spark`` exactly when the selected profile's offline
    store is Spark's (Feast's Spark offline store and engine accept only SparkSources).
    """
    configured = os.environ.get(SOURCES_ENV)
    if configured:
        if configured not in SOURCE_KINDS:
            raise ProfileError(f"{SOURCES_ENV}={configured}: expected one of {SOURCE_KINDS}.")
        return configured
    path = selected_config(config_path)
    if not path.exists():
        return "file"
    offline = (yaml.safe_load(path.read_text()) or {}).get("offline_store") or {}
    return "spark" if isinstance(offline, dict) and offline.get("type") == "spark" else "file"
