"""The ``build-features`` stage: read and check raw data, compute the feature tables, write them atomically.

It streams: users are read whole (one row each), transactions in chunks that are checked and
staged by part of users; then each part's tables are built, checked by the quality gate and
appended to the table files. Memory is bounded by a part. Everything is written in a staging
directory and renamed into place only when every part passed (see ``pipeline.staging``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from feature_repo.core import progress
from feature_repo.core.atomic_files import read_json, write_json
from feature_repo.core.disk_space import out_of_space_named
from feature_repo.core.tables import FEATURE_TABLES, USER_ORDER_LEDGER
from feature_repo.pipeline.builders import build_tables
from feature_repo.pipeline.fingerprints import code_fingerprint, file_fingerprint
from feature_repo.pipeline.ledger_table import write_ledger_table
from feature_repo.pipeline.parts import USERS_PER_PART, StagedTransactions, TableFiles, UserParts
from feature_repo.pipeline.raw_data import read_users, scan_transactions
from feature_repo.pipeline.staging import build_lock, publish, remove_leftovers, staging_directory
from feature_repo.quality.gate import QualityTally, enforce_report

MANIFEST_NAME = "_manifest.json"
SERVING_ROWS = "serving_rows"  # the manifest's rows of the tables only the online path reads
PACKAGE_DIR = Path(__file__).resolve().parent.parent
CODE = [PACKAGE_DIR / name for name in ("transforms", "pipeline", "spark", "quality")]
CODE_FILES = [PACKAGE_DIR / "core" / "tables.py", PACKAGE_DIR / "core" / "raw_format.py"]
ENGINES = ("duckdb", "spark")  # spark: feature_repo.spark.build.build_feature_files_on_spark
# (users file, transactions file, staging directory) -> (horizon, rows per table), tables in staging
TableBuilder = Callable[[Path, Path, Path], tuple[pd.Timestamp, dict[str, int]]]
GATE_STEP = "Writing the feature tables"


@dataclass(frozen=True)
class BuildResult:
    directory: Path
    horizon: pd.Timestamp
    rows: dict[str, int]
    skipped: bool
    serving_rows: dict[str, int]  # tables read by the online path only: the order ledger


def horizon_after(latest: pd.Timestamp) -> pd.Timestamp:
    """The first midnight (UTC) after the latest instant the raw data knows: complete up to it."""
    return (latest.floor("D") + pd.Timedelta(days=1)).tz_convert("UTC")


def read_manifest(directory: Path) -> dict | None:
    """What the last successful build wrote (horizon, inputs, row counts), if any."""
    return read_json(directory / MANIFEST_NAME)


def _wanted(users_path: Path, transactions_path: Path) -> dict:
    return {
        "inputs": {
            str(p): file_fingerprint(p) for p in (users_path, transactions_path) if p.exists()
        },
        "code": code_fingerprint(CODE, CODE_FILES),
    }


def _unchanged(directory: Path, wanted: dict) -> dict | None:
    previous = read_manifest(directory)
    if (
        previous
        and all(previous.get(k) == v for k, v in wanted.items())
        and SERVING_ROWS in previous
        and all(
            (directory / f"{name}.parquet").exists()
            for name in [*previous.get("rows", {}), *previous[SERVING_ROWS]]
        )
    ):
        return previous
    return None


def build_feature_files(
    users_path: Path,
    transactions_path: Path,
    directory: Path,
    force: bool = False,
    users_per_part: int = USERS_PER_PART,
    build_into: TableBuilder | None = None,
) -> BuildResult:
    """Build the feature tables into ``directory`` unless inputs and code are unchanged since the last build.

    ``build_into`` computes the tables into the staging directory: by default in parts of users
    with DuckDB and pandas; ``feature_repo.spark.build`` passes its own.
    """
    wanted = _wanted(users_path, transactions_path)
    if not force and (previous := _unchanged(directory, wanted)):
        return BuildResult(
            directory,
            pd.Timestamp(previous["horizon"]),
            previous["rows"],
            skipped=True,
            serving_rows=previous[SERVING_ROWS],
        )
    kept = "The previous feature tables are unchanged"
    with build_lock(directory), out_of_space_named(directory, "build-features", kept):
        remove_leftovers(directory)
        with staging_directory(directory) as staging:
            if build_into is None:
                horizon, rows = _build_in_parts(
                    users_path, transactions_path, staging, users_per_part
                )
            else:
                horizon, rows = build_into(users_path, transactions_path, staging)
            # the serving ledger, derived from the tables just built (both engines' alike)
            serving_rows = {USER_ORDER_LEDGER.name: write_ledger_table(staging, users_per_part)}
            manifest = {
                **wanted, "horizon": horizon.isoformat(), "rows": rows, SERVING_ROWS: serving_rows
            }  # fmt: skip
            write_json(staging / MANIFEST_NAME, manifest)
            names = [t.file_name for t in FEATURE_TABLES] + [USER_ORDER_LEDGER.file_name]
            publish(staging, directory, names, MANIFEST_NAME)
    return BuildResult(directory, horizon, rows, skipped=False, serving_rows=serving_rows)


def _build_in_parts(
    users_path: Path, transactions_path: Path, staging: Path, users_per_part: int
) -> tuple[pd.Timestamp, dict[str, int]]:
    """Check and stage the raw data, then build, check and write the tables part by part."""
    parts = UserParts(read_users(users_path), users_per_part)  # holds the one copy of the users
    users = parts.users
    staged = StagedTransactions(staging / "transactions", parts)
    latest = [users["registration_date"].max()]

    with progress.task("build-features: checking transactions", unit="chunks") as reading:

        def stage(chunk: pd.DataFrame) -> None:
            latest.append(chunk["transaction_date"].max())
            staged.add(chunk)
            reading.advance(rows=len(chunk))

        try:
            scan_transactions(transactions_path, users, stage)
        finally:
            staged.close()
    horizon = horizon_after(max(latest))
    tally = QualityTally(as_of=horizon)
    files = TableFiles(staging)
    names = {table.name: table.file_name for table in FEATURE_TABLES}
    try:
        with progress.task("build-features", total=parts.count, unit="parts") as task:
            for part in range(parts.count):
                transactions = staged.of(part)
                built = build_tables(parts.users_of(part), transactions, horizon)
                # parts are ranges of users: sorted parts make a sorted file
                tables = {t.name: sorted_by(built[t.name], t.order) for t in FEATURE_TABLES}
                tally.add(tables)
                files.write(tables, names)
                task.advance(rows=len(transactions))  # rows: the part's transactions
    finally:
        files.close()
    enforce_report(tally.report(), GATE_STEP)
    return horizon, dict(tally.rows)


def sorted_by(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``frame`` sorted by ``columns``; the frame itself (no copy) when it already is."""
    if frame.empty or _in_order(frame, columns):
        return frame
    return frame.sort_values(list(columns), ignore_index=True)


def _in_order(frame: pd.DataFrame, columns: tuple[str, ...]) -> bool:
    """Whether the rows are in lexicographic order of ``columns`` (no missing key)."""
    keys = [_comparable(frame[c]) for c in columns]
    if any(pd.isna(k).any() for k in keys):
        return False
    later = np.zeros(len(frame) - 1, dtype=bool)  # a pair decided: the second row is later
    for key in keys:
        earlier = key[1:] < key[:-1]
        if (earlier & ~later).any():
            return False
        later |= key[1:] > key[:-1]
    return True


def _comparable(column: pd.Series) -> np.ndarray:
    """The column as a numpy array that compares as the column does (instants as int64)."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        return column.array.asi8 if not column.isna().any() else column.to_numpy()
    return column.to_numpy()


def read_feature_tables(directory: Path) -> dict[str, pd.DataFrame]:
    """The feature tables of the last successful build, by name."""
    manifest = read_manifest(directory) or {}
    return {
        name: pd.read_parquet(directory / f"{name}.parquet") for name in manifest.get("rows", {})
    }
