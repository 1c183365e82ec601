"""Working in parts of users, so that memory is bounded by a part and not by the data.

Every feature row belongs to one user, and every feature of a user depends on that user's rows
only, so a table built part by part equals the table built at once. Parts are ranges of user ids
(``UserParts``); the checked transactions are staged into one Parquet file per part as they are
read (``StagedTransactions``); each table is written part by part, in row groups of bounded size, into
one Parquet file (``TableFiles``), which readers see as one table.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

USERS_PER_PART = 10_000  # about 180k orders at the tutorial's orders per user
# Rows per Parquet row group: readers (DuckDB, Arrow) hold about one group of a column at a time,
# so a part of a million rows is still read in pieces of this size (DuckDB's own group size).
ROW_GROUP_ROWS = 122_880


class UserParts:
    """Users sorted by id and cut into ranges of ``users_per_part``."""

    def __init__(self, users: pd.DataFrame, users_per_part: int = USERS_PER_PART) -> None:
        self.users = users.sort_values("user_id", ignore_index=True)
        self.count = max(1, math.ceil(len(self.users) / users_per_part))
        self.size = users_per_part
        self.first_ids = self.users["user_id"].to_numpy()[:: self.size][: self.count]

    def of(self, user_ids: pd.Series) -> np.ndarray:
        """The part of each user id (ids below the first go to part 0; the reader refuses them)."""
        return np.maximum(np.searchsorted(self.first_ids, user_ids.to_numpy(), side="right") - 1, 0)

    def users_of(self, part: int) -> pd.DataFrame:
        return self.users.iloc[part * self.size : (part + 1) * self.size].reset_index(drop=True)


def _arrow(frame: pd.DataFrame) -> pa.Table:
    """A frame as Arrow; a column that is all missing in this part is typed as text (the only kind
    of column that can be all missing), so every part has the same schema."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    for index, column in enumerate(table.schema):
        if pa.types.is_null(column.type):
            table = table.set_column(index, column.name, table.column(index).cast(pa.string()))
    return table


class _PartWriter:
    """One Parquet file written part by part (row groups of at most ``ROW_GROUP_ROWS``), every
    part cast to the first one's schema."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        table = _arrow(frame)
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.path, table.schema)
        else:
            table = table.cast(self.writer.schema)
        self.writer.write_table(table, row_group_size=ROW_GROUP_ROWS)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


class StagedTransactions:
    """Checked transactions, split by part into one file each as chunks arrive."""

    def __init__(self, directory: Path, parts: UserParts) -> None:
        self.directory = directory
        self.parts = parts
        self.writers: dict[int, _PartWriter] = {}
        self.template: pd.DataFrame | None = None
        directory.mkdir(parents=True, exist_ok=True)

    def _path(self, part: int) -> Path:
        return self.directory / f"part-{part:05d}.parquet"

    def add(self, chunk: pd.DataFrame) -> None:
        if self.template is None:
            self.template = chunk.iloc[:0]
        part_of_row = self.parts.of(chunk["user_id"])
        order = np.argsort(part_of_row, kind="stable")
        starts = np.searchsorted(part_of_row[order], np.arange(self.parts.count + 1))
        for part in range(self.parts.count):
            rows = order[starts[part] : starts[part + 1]]
            if len(rows):
                writer = self.writers.setdefault(part, _PartWriter(self._path(part)))
                writer.write(chunk.iloc[rows])

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()

    def of(self, part: int) -> pd.DataFrame:
        """The transactions of one part, in file order (empty, typed, if it has none)."""
        if part not in self.writers:
            return self.template.copy() if self.template is not None else pd.DataFrame()
        return pq.read_table(self._path(part)).to_pandas()


class TableFiles:
    """The feature tables of a run, each one Parquet file written part by part."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.writers: dict[str, _PartWriter] = {}

    def write(self, tables: dict[str, pd.DataFrame], file_names: dict[str, str]) -> None:
        for name, frame in tables.items():
            path = self.directory / file_names[name]
            self.writers.setdefault(name, _PartWriter(path)).write(frame)

    def close(self) -> None:
        for writer in self.writers.values():
            writer.close()
