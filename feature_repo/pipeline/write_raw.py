"""The ``generate-data`` stage: raw tables to CSV (as the tutorial ships them) and typed Parquet, part by part."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from feature_repo.core import progress
from feature_repo.core import raw_format as tf
from feature_repo.core.atomic_files import read_json, write_json
from feature_repo.core.disk_space import out_of_space_named
from feature_repo.pipeline.fingerprints import code_fingerprint
from feature_repo.pipeline.generate import RawTables, generate_parts, part_count
from feature_repo.pipeline.pushed_orders import pushed_dir
from feature_repo.pipeline.staging import build_lock, publish, remove_leftovers, staging_directory

MANIFEST_NAME = "_generated.json"
HELD_OUT_NAME = "held_out_transactions.parquet"  # orders after --hold-out-after, for `replay`


@dataclass(frozen=True)
class GenerateResult:
    directory: Path
    users: int
    transactions: int
    skipped: bool


def _typed_for_parquet(table: str, frame: pd.DataFrame) -> pa.Table:
    """Parquet keeps real types: dates as date32, transaction times as (naive, UTC) timestamps."""
    typed = frame.copy()
    for column, kind in tf.COLUMNS_BY_TABLE[table].items():
        if kind == "date":
            typed[column] = pd.to_datetime(typed[column], format=tf.DATE_FORMAT).dt.date
        elif kind == "datetime":
            typed[column] = pd.to_datetime(typed[column], format=tf.TRANSACTION_DATE_FORMAT).astype(
                "datetime64[us]"
            )
    return pa.Table.from_pandas(typed, preserve_index=False)


def _held_out(frame: pd.DataFrame, after: pd.Timestamp | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The transactions kept in the raw files, and those placed after ``after`` (held out)."""
    if after is None:
        return frame, frame.iloc[:0]
    placed = pd.to_datetime(frame["transaction_date"], format=tf.TRANSACTION_DATE_FORMAT, utc=True)
    late = (placed > after).to_numpy()
    return frame[~late], frame[late]


def _registered_by(users: pd.DataFrame, after: pd.Timestamp | None) -> pd.DataFrame:
    """The users registered by ``after`` (the raw files then end there; later ones are unknown)."""
    if after is None:
        return users
    registered = pd.to_datetime(users["registration_date"], format=tf.DATE_FORMAT, utc=True)
    return users[(registered <= after).to_numpy()]


def _write_parts(
    staging: Path, seed: int, scale: float, hold_out_after: pd.Timestamp | None = None
) -> dict[str, int]:
    """Generate part by part, appending each part to the CSV and Parquet files of both tables
    (and the transactions after ``hold_out_after`` to the held-out file instead)."""
    counts = {tf.USERS: 0, tf.TRANSACTIONS: 0, HELD_OUT_NAME: 0}
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        with progress.task("generate-data", total=part_count(scale), unit="parts") as task:
            for part in generate_parts(seed=seed, scale=scale):
                _write_part(staging, part, hold_out_after, counts, writers)
                task.advance(rows=len(part.users) + len(part.transactions))
    finally:
        for writer in writers.values():
            writer.close()
    return counts


def _write_part(
    staging: Path,
    part: RawTables,
    hold_out_after: pd.Timestamp | None,
    counts: dict[str, int],
    writers: dict[str, pq.ParquetWriter],
) -> None:
    """Append one part's users and transactions (and held-out orders) to the files, counting rows."""
    kept, held = _held_out(part.transactions, hold_out_after)
    if len(held):
        table = _typed_for_parquet(tf.TRANSACTIONS, held)
        if HELD_OUT_NAME not in writers:
            writers[HELD_OUT_NAME] = pq.ParquetWriter(staging / HELD_OUT_NAME, table.schema)
        writers[HELD_OUT_NAME].write_table(table.cast(writers[HELD_OUT_NAME].schema))
        counts[HELD_OUT_NAME] += len(held)
    frames = {tf.USERS: _registered_by(part.users, hold_out_after), tf.TRANSACTIONS: kept}
    for name, frame in frames.items():
        with (staging / f"{name}.csv").open("a", newline="") as handle:
            frame.to_csv(handle, index=False, header=counts[name] == 0)
        table = _typed_for_parquet(name, frame)
        if name not in writers:
            writers[name] = pq.ParquetWriter(staging / f"{name}.parquet", table.schema)
        writers[name].write_table(table.cast(writers[name].schema))
        counts[name] += len(frame)


def generate_raw_files(
    directory: Path,
    seed: int,
    scale: float,
    force: bool = False,
    hold_out_after: pd.Timestamp | None = None,
) -> GenerateResult:
    """Write users and transactions (CSV and Parquet) unless the same seed and scale are already there.

    Generated and written part by part (memory is bounded by a part) into a staging directory,
    renamed into place when complete (see ``pipeline.staging``).
    """
    manifest_path = directory / MANIFEST_NAME
    wanted = {
        "seed": seed,
        "scale": scale,
        "generator": code_fingerprint([Path(__file__).parent], [Path(tf.__file__)]),
        "hold_out_after": None if hold_out_after is None else hold_out_after.isoformat(),
    }
    names = [f"{t}.{ext}" for t in (tf.USERS, tf.TRANSACTIONS) for ext in ("csv", "parquet")]
    previous = read_json(manifest_path)
    if (
        not force
        and previous
        and all(previous.get(k) == v for k, v in wanted.items())
        and all((directory / name).exists() for name in names)
    ):
        return GenerateResult(directory, previous["users"], previous["transactions"], skipped=True)

    kept = "The previous raw files are unchanged"
    with build_lock(directory), out_of_space_named(directory, "generate-data", kept):
        remove_leftovers(directory)
        with staging_directory(directory) as staging:
            counts = _write_parts(staging, seed, scale, hold_out_after)
            (directory / HELD_OUT_NAME).unlink(missing_ok=True)  # a previous run's
            shutil.rmtree(pushed_dir(directory), ignore_errors=True)  # orders pushed onto old data
            if counts[HELD_OUT_NAME]:
                names.append(HELD_OUT_NAME)
            manifest = {
                **wanted,
                "users": counts[tf.USERS],
                "transactions": counts[tf.TRANSACTIONS],
                "held_out_transactions": counts[HELD_OUT_NAME],
            }
            write_json(staging / MANIFEST_NAME, manifest)
            publish(staging, directory, names, MANIFEST_NAME)
    return GenerateResult(directory, counts[tf.USERS], counts[tf.TRANSACTIONS], skipped=False)
