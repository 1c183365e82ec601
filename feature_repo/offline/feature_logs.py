"""Feature logs written whole: one Parquet file per batch and partition, or nothing.

Feast 0.67's DuckDB store writes a logged batch straight to its final name (ibis ``to_parquet``),
so a crash mid-write leaves a truncated file that every later read of the logs trips over. Here each
partition's file is written under a temporary name beside its target and renamed into place
(``atomic_files``); readers (``delivery-fs monitor``, DuckDB, Feast) only ever see whole files.
The layout is Feast's: ``<destination>/<column>=<value>/<batch id>.parquet`` for the destination's
``partition_by`` columns (hive partitions), or ``<destination>/<batch id>.parquet`` without.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from feature_repo.core.atomic_files import write_files_atomically


def write_feature_log(
    data: pa.Table | Path, destination: str, partition_by: Sequence[str] | None
) -> list[Path]:
    """Write one logged batch under ``destination``; the files written."""
    table = pq.read_table(data) if isinstance(data, Path) else data
    batch = uuid.uuid4().hex
    root = Path(destination)
    parts: dict[Path, pa.Table] = {}
    if partition_by:
        keys = table.select(list(partition_by)).group_by(list(partition_by)).aggregate([])
        for key in keys.to_pylist():
            mask = None
            for column, value in key.items():
                equal = pc.equal(table[column], pa.scalar(value, table.schema.field(column).type))
                mask = equal if mask is None else pc.and_(mask, equal)
            folder = root.joinpath(*(f"{column}={value}" for column, value in key.items()))
            parts[folder / f"{batch}.parquet"] = table.filter(mask).drop_columns(list(partition_by))
    else:
        parts[root / f"{batch}.parquet"] = table
    write_files_atomically(
        {path: (lambda p, part=part: pq.write_table(part, p)) for path, part in parts.items()}
    )
    return list(parts)
