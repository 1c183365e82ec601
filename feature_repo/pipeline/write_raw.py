"""The ``generate-data`` stage: raw tables to CSV (as the tutorial ships them) and typed Parquet."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from feature_repo import raw_format as tf
from feature_repo.pipeline.atomic_files import read_json, write_files_atomically, write_json
from feature_repo.pipeline.fingerprints import code_fingerprint
from feature_repo.pipeline.generate import generate_tutorial_data

MANIFEST_NAME = "_generated.json"


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


def _csv_writer(frame: pd.DataFrame):
    def write(path: Path) -> None:
        frame.to_csv(path, index=False)

    return write


def _parquet_writer(table: pa.Table):
    return lambda path: pq.write_table(table, path)


def generate_raw_files(
    directory: Path, seed: int, scale: float, force: bool = False
) -> GenerateResult:
    """Write users and transactions (CSV and Parquet) unless the same seed and scale are already there."""
    manifest_path = directory / MANIFEST_NAME
    wanted = {"seed": seed, "scale": scale, "generator": code_fingerprint([Path(__file__).parent])}
    outputs = [
        directory / f"{t}.{ext}" for t in (tf.USERS, tf.TRANSACTIONS) for ext in ("csv", "parquet")
    ]
    previous = read_json(manifest_path)
    if (
        not force
        and previous
        and all(previous.get(k) == v for k, v in wanted.items())
        and all(p.exists() for p in outputs)
    ):
        return GenerateResult(directory, previous["users"], previous["transactions"], skipped=True)

    tables = generate_tutorial_data(seed=seed, scale=scale)
    frames = {tf.USERS: tables.users, tf.TRANSACTIONS: tables.transactions}
    writers = {}
    for name, frame in frames.items():
        writers[directory / f"{name}.csv"] = _csv_writer(frame)
        writers[directory / f"{name}.parquet"] = _parquet_writer(_typed_for_parquet(name, frame))
    counts = {"users": len(tables.users), "transactions": len(tables.transactions)}
    writers[manifest_path] = lambda path: write_json(path, {**wanted, **counts})
    write_files_atomically(writers)
    return GenerateResult(directory, counts["users"], counts["transactions"], skipped=False)
