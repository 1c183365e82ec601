"""Time get_historical_features (churn_model_v1) on the default (DuckDB) and spark profiles.

Generates data at ``--scale`` in a throw-away directory, builds the feature tables, applies both
profiles there, and times the same entity rows on each (the Spark session's start apart), twice.
Usage: .venv/bin/python scripts/benchmark_offline.py --scale 1.0 --rows 10000
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PROFILES = {"duckdb": "feature_store.yaml", "spark": "profiles/feature_store.spark.yaml"}


def _run(*args: str, env: dict | None = None) -> None:
    subprocess.run([str(BIN / args[0]), *args[1:]], cwd=REPO_ROOT, check=True,
                   env={**os.environ, **(env or {})}, capture_output=True)  # fmt: skip


def _applied(profile: str, directory: Path) -> Path:
    config = yaml.safe_load((REPO_ROOT / PROFILES[profile]).read_text())
    config["project"] = f"bench_{profile}"
    config["registry"] = {
        "registry_type": "file",
        "path": str(directory / f"{profile}.registry.db"),
    }
    config["online_store"] = {"type": "sqlite", "path": str(directory / f"{profile}.online.db")}
    path = directory / f"{profile}.yaml"
    path.write_text(yaml.safe_dump(config))
    _run("feast", "-f", str(path), "apply", env={"FEAST_FS_YAML_FILE_PATH": str(path)})
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    directory = Path(tempfile.mkdtemp(prefix="delivery-fs-bench-"))
    os.environ["DELIVERY_FS_DATA_DIR"] = str(directory / "data")
    try:
        _benchmark(directory, args.scale, args.rows)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _benchmark(directory: Path, scale: float, entity_rows: int) -> None:
    _run("delivery-fs", "generate-data", "--scale", str(scale))
    _run("delivery-fs", "build-features")
    configs = {profile: _applied(profile, directory) for profile in PROFILES}

    from feature_repo.core.paths import raw_dir
    from feature_repo.pipeline.raw_data import raw_file, read_users
    from feature_repo.repository.horizon import data_horizon
    from feature_repo.repository.store import open_store
    from feature_repo.spark.session import spark_session
    from feature_repo.training.frames import sample_training_entities, training_frame

    users = read_users(raw_file(raw_dir(), "users"))
    rows = sample_training_entities(
        users, users["registration_date"].min(), data_horizon(), entity_rows, seed=1
    )
    stats = len(
        __import__("pandas").read_parquet(directory / "data/features/user_order_stats.parquet")
    )
    print(
        f"scale {scale}: {len(users):,} users, {stats:,} user_order_stats rows, {entity_rows:,} entity rows"
    )
    for profile, config in configs.items():
        if profile == "spark":
            started = time.perf_counter()
            spark_session()
            print(f"spark: session started in {time.perf_counter() - started:.1f} s")
        store = open_store(config_path=config)
        for attempt in (1, 2):
            started = time.perf_counter()
            frame = training_frame(store, rows, "churn_model_v1")
            print(
                f"{profile}: run {attempt}: {time.perf_counter() - started:.1f} s, {len(frame):,} rows"
            )


if __name__ == "__main__":
    main()
