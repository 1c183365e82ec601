"""The ``build-features`` stage: read and check raw data, compute the feature tables, write them atomically."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from feature_repo.pipeline.atomic_files import read_json, write_files_atomically, write_json
from feature_repo.pipeline.errors import PipelineError
from feature_repo.pipeline.fingerprints import code_fingerprint, file_fingerprint
from feature_repo.pipeline.raw_data import read_transactions, read_users
from feature_repo.quality.gate import enforce
from feature_repo.transforms.order_stats import user_order_stats_table
from feature_repo.transforms.transaction_features import transaction_features_table
from feature_repo.transforms.user_profile import user_profile_table

MANIFEST_NAME = "_manifest.json"
TRANSFORMS_DIR = Path(__file__).resolve().parent.parent / "transforms"
PIPELINE_DIR = Path(__file__).resolve().parent
SPARK_DIR = PIPELINE_DIR.parent / "spark"


@dataclass(frozen=True)
class BuildResult:
    directory: Path
    horizon: pd.Timestamp
    rows: dict[str, int]
    skipped: bool


def data_horizon(users: pd.DataFrame, transactions: pd.DataFrame) -> pd.Timestamp:
    """The first midnight (UTC) after everything the raw data knows: the data is complete up to it."""
    latest = max(users["registration_date"].max(), transactions["transaction_date"].max())
    return (latest.floor("D") + pd.Timedelta(days=1)).tz_convert("UTC")


ENGINES = ("duckdb", "spark")


def compute_feature_tables(
    users: pd.DataFrame, transactions: pd.DataFrame, engine: str = "duckdb"
) -> dict[str, pd.DataFrame]:
    """All feature tables, by name, from typed and checked raw frames (no I/O).

    ``engine="spark"`` computes the trailing-window order statistics (the join of every change
    point with its orders, which grows with users x orders) on Spark; the other two tables are
    one pass over users or transactions and stay in pandas.
    """
    horizon = data_horizon(users, transactions)
    return {
        "user_profile": user_profile_table(users, horizon),
        "user_order_stats": _order_stats(users, transactions, engine),
        "transaction_features": transaction_features_table(users, transactions),
    }


def _order_stats(users: pd.DataFrame, transactions: pd.DataFrame, engine: str) -> pd.DataFrame:
    if engine == "duckdb":
        return user_order_stats_table(users, transactions)
    if engine == "spark":
        from feature_repo.spark.order_stats import user_order_stats_table as on_spark
        from feature_repo.spark.session import spark_session

        return on_spark(spark_session(), users, transactions)
    raise PipelineError(f"Unknown engine {engine!r}: use one of {', '.join(ENGINES)}.")


def read_manifest(directory: Path) -> dict | None:
    """What the last successful build wrote (horizon, inputs, row counts), if any."""
    return read_json(directory / MANIFEST_NAME)


def build_feature_files(
    users_path: Path,
    transactions_path: Path,
    directory: Path,
    force: bool = False,
    engine: str = "duckdb",
) -> BuildResult:
    """Build the feature tables into ``directory`` unless inputs and code are unchanged since the last build."""
    wanted = {
        "inputs": {
            str(p): file_fingerprint(p) for p in (users_path, transactions_path) if p.exists()
        },
        "code": code_fingerprint([TRANSFORMS_DIR, PIPELINE_DIR, SPARK_DIR]),
    }
    previous = read_manifest(directory)
    if (
        not force
        and previous
        and all(previous.get(k) == v for k, v in wanted.items())
        and all((directory / f"{name}.parquet").exists() for name in previous.get("rows", {}))
    ):
        return BuildResult(
            directory, pd.Timestamp(previous["horizon"]), previous["rows"], skipped=True
        )

    users = read_users(users_path)
    transactions = read_transactions(transactions_path, users)
    tables = compute_feature_tables(users, transactions, engine)
    horizon = data_horizon(users, transactions)
    enforce(tables, step="Writing the feature tables", as_of=horizon)
    rows = {name: len(frame) for name, frame in tables.items()}
    writers = {
        directory / f"{name}.parquet": _parquet_writer(frame) for name, frame in tables.items()
    }
    manifest = {**wanted, "horizon": horizon.isoformat(), "rows": rows}
    writers[directory / MANIFEST_NAME] = lambda path: write_json(path, manifest)
    write_files_atomically(writers)
    return BuildResult(directory, horizon, rows, skipped=False)


def read_feature_tables(directory: Path) -> dict[str, pd.DataFrame]:
    """The feature tables of the last successful build, by name."""
    manifest = read_manifest(directory) or {}
    return {
        name: pd.read_parquet(directory / f"{name}.parquet") for name in manifest.get("rows", {})
    }


def _parquet_writer(frame: pd.DataFrame):
    return lambda path: frame.to_parquet(path, index=False)
