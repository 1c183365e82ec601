"""Reading the raw users and transactions (the tutorial's CSV or our Parquet) into typed, checked frames.

Every problem becomes a :class:`RawDataError` naming the file, the column and the first
offending rows; nothing is written until both tables pass.

Users are read whole (one row per user). Transactions are read in chunks of rows, so memory is
bounded by a chunk, and checked as if the file were read whole: the checks run in a fixed order
(each column's type, unique ids, money in [0, 100000], 0/1 flags, known users), and the error is
that of the first check that fails anywhere in the file, with its first offending rows and its
count over the whole file, rows located by their line in the whole file.

Typed output:
- users: ``user_id`` int64, the category columns as str, ``registration_date`` as a UTC
  timestamp at midnight, ``birth_date`` as a naive datetime64 date.
- transactions: ids and flags int64, money float64, ``transaction_date`` as a UTC timestamp.
  Naive times are taken as UTC; times with an offset are converted; a file mixing both is refused.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from feature_repo.core import raw_format as tf
from feature_repo.pipeline.errors import MAX_ROWS_SHOWN, OffendingRow, RawDataError
from feature_repo.pipeline.raw_columns import (
    CONVERTERS,
    MIXED_TIMEZONES_HINT,
    check_columns,
    check_file,
    is_aware,
    locations,
    mixed_timezones_problem,
    no_rows,
    offending,
)

CHUNK_ROWS = 1_000_000
_COLUMN_STEPS = {column: step for step, column in enumerate(tf.TRANSACTION_COLUMNS)}
UNIQUE_STEP = len(_COLUMN_STEPS)  # the order in which checks fail, as if the file were read whole
MIXED_TIMEZONES_STEP = _COLUMN_STEPS["transaction_date"] - 0.5  # before parsing that column


def _typed(path: Path, frame: pd.DataFrame, expected: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame({c: CONVERTERS[kind](path, c, frame[c]) for c, kind in expected.items()})


def _check_unique(path: Path, frame: pd.DataFrame, column: str) -> None:
    duplicated = frame[column].duplicated(keep=False)
    if duplicated.any():
        raise offending(
            path,
            column,
            "duplicate ids",
            duplicated,
            frame[column],
            hint="Each id must appear once; remove the duplicates and rerun.",
        )


def _check_money_range(path: Path, frame: pd.DataFrame, column: str) -> None:
    """Money in [0, MONEY_MAX] (raw_format): nothing implausible reaches the cents arithmetic."""
    negative = frame[column] < 0
    if negative.any():
        raise offending(path, column, "negative values", negative, frame[column])
    too_large = frame[column] > tf.MONEY_MAX
    if too_large.any():
        raise offending(
            path, column, f"values above {tf.MONEY_MAX} (money is in [0, {tf.MONEY_MAX}])",
            too_large, frame[column],
        )  # fmt: skip


def _read_whole(path: Path) -> pd.DataFrame:
    check_file(path)
    if path.suffix == ".csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False, engine="pyarrow")
    return pq.read_table(path).to_pandas()


def read_users(path: Path) -> pd.DataFrame:
    """Typed, checked users: unique ids, parseable dates, born before registering."""
    frame = _read_whole(path)
    check_columns(path, list(frame.columns), tf.USER_COLUMNS)
    if frame.empty:
        raise no_rows(path)
    users = _typed(path, frame.reset_index(drop=True), tf.USER_COLUMNS)
    _check_unique(path, users, "user_id")
    born_after = users["birth_date"] >= users["registration_date"].dt.tz_localize(None)
    if born_after.any():
        raise offending(
            path,
            "birth_date",
            "birth date on or after the registration date",
            born_after,
            users["birth_date"].astype(str),
        )
    users["registration_date"] = users["registration_date"].dt.tz_localize("UTC")
    return users


def _chunks(path: Path, expected: dict[str, str], rows: int) -> Iterator[pd.DataFrame]:
    """The file in chunks of about ``rows`` rows, each indexed by its rows' positions in the file."""
    check_file(path)
    if path.suffix == ".csv":
        reader = pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=rows)
        columns = list(pd.read_csv(path, dtype=str, nrows=0).columns)
    else:
        parquet = pq.ParquetFile(path)
        columns = parquet.schema_arrow.names
        reader = (batch.to_pandas() for batch in parquet.iter_batches(batch_size=rows))
    check_columns(path, columns, expected)
    start = 0
    for chunk in reader:
        chunk.index = pd.RangeIndex(start, start + len(chunk))
        start += len(chunk)
        yield chunk
    if start == 0:
        raise no_rows(path)


@dataclass
class _TimezoneStyles:
    """Offsets written or not, over the whole file: the first rows and the count of each style."""

    counts: dict[bool, int] = field(default_factory=lambda: {True: 0, False: 0})
    first: dict[bool, list[OffendingRow]] = field(default_factory=lambda: {True: [], False: []})

    def add(self, path: Path, values: pd.Series) -> None:
        aware = is_aware(values)
        for style in (True, False):
            rows = aware.index[aware == style]
            self.counts[style] += len(rows)
            missing = MAX_ROWS_SHOWN - len(self.first[style])
            shown = rows[:missing]
            self.first[style] += [
                OffendingRow(where, values.loc[i])
                for where, i in zip(locations(path, shown), shown, strict=True)
            ]

    def error(self, path: Path) -> RawDataError | None:
        if not (self.counts[True] and self.counts[False]):
            return None
        minority = self.counts[True] <= self.counts[False]  # True: the aware ones
        return RawDataError(
            str(path),
            "transaction_date",
            mixed_timezones_problem(self.counts[minority], minority),
            self.first[minority],
            self.counts[minority],
            MIXED_TIMEZONES_HINT,
        )


def _check_chunk(
    path: Path, chunk: pd.DataFrame, user_ids: pd.Index
) -> tuple[pd.DataFrame | None, tuple[float, RawDataError] | None]:
    """The typed chunk (``None`` if a column cannot be typed) and the first check it fails (its
    step and error); uniqueness is checked over the whole file, later."""
    transactions, step = None, 0.0
    try:
        typed = {}
        for column, kind in tf.TRANSACTION_COLUMNS.items():
            step = _COLUMN_STEPS[column]
            typed[column] = CONVERTERS[kind](path, column, chunk[column])
        transactions = pd.DataFrame(typed)
        step = UNIQUE_STEP
        for column in tf.MONEY_COLUMNS:
            step += 1
            _check_money_range(path, transactions, column)
        step += 1
        not_a_flag = ~transactions["discount_coupon"].isin([0, 1])
        if not_a_flag.any():
            raise offending(
                path,
                "discount_coupon",
                "expected 0 or 1",
                not_a_flag,
                transactions["discount_coupon"],
            )
        step += 1
        unknown_user = ~transactions["user_id"].isin(user_ids)
        if unknown_user.any():
            raise offending(
                path,
                "user_id",
                "transactions of users that are not in the users file",
                unknown_user,
                transactions["user_id"],
                hint="Add the users to the users file or remove their transactions, then rerun.",
            )
    except RawDataError as error:
        return transactions, (step, error)
    return transactions, None


def _merged(errors: list[RawDataError]) -> RawDataError:
    """One error from the same check failing in several chunks, in file order."""
    first = errors[0]
    rows = [row for error in errors for row in error.rows][:MAX_ROWS_SHOWN]
    total = sum(error.total_offending for error in errors)
    return RawDataError(first.file, first.column, first.problem, rows, total, first.hint)


def _duplicate_ids(path: Path, ids: list[np.ndarray]) -> RawDataError | None:
    every_id = np.concatenate(ids) if ids else np.array([], dtype=np.int64)
    in_order = np.sort(every_id)
    if not (in_order[1:] == in_order[:-1]).any():  # cheaper than hashing when all is well
        return None
    every_id = pd.Series(every_id)
    duplicated = every_id.duplicated(keep=False)
    return offending(
        path,
        "transaction_id",
        "duplicate ids",
        duplicated,
        every_id,
        hint="Each id must appear once; remove the duplicates and rerun.",
    )


def scan_transactions(
    path: Path,
    users: pd.DataFrame,
    on_chunk: Callable[[pd.DataFrame], None],
    chunk_rows: int = CHUNK_ROWS,
) -> int:
    """Type and check the transactions chunk by chunk, handing each good chunk to ``on_chunk``.

    Raises the error of the first failing check over the whole file (after reading all of it, so
    its counts are the file's), which means ``on_chunk`` may have seen chunks of a bad file: it
    must only stage them. Returns the number of rows.
    """
    user_ids = pd.Index(users["user_id"])
    found: list[tuple[float, RawDataError]] = []
    timezones = _TimezoneStyles()
    ids: list[np.ndarray] = []
    rows = 0
    for chunk in _chunks(path, tf.TRANSACTION_COLUMNS, chunk_rows):
        rows += len(chunk)
        timezones.add(path, chunk["transaction_date"])
        transactions, problem = _check_chunk(path, chunk, user_ids)
        if transactions is not None:
            ids.append(transactions["transaction_id"].to_numpy().copy())  # not a view of the chunk
        if problem:
            found.append(problem)
        elif not found:
            on_chunk(transactions)
    if mixed := timezones.error(path):
        found.append((MIXED_TIMEZONES_STEP, mixed))
    if not any(step < UNIQUE_STEP for step, _ in found) and (
        duplicates := _duplicate_ids(path, ids)
    ):
        found.append((UNIQUE_STEP, duplicates))
    if found:
        first = min(step for step, _ in found)
        raise _merged([error for step, error in found if step == first])
    return rows


def read_transactions(path: Path, users: pd.DataFrame) -> pd.DataFrame:
    """Typed, checked transactions, whole: unique ids, known users, money in range, 0/1 coupon flags."""
    chunks: list[pd.DataFrame] = []
    scan_transactions(path, users, chunks.append)
    return pd.concat(chunks, ignore_index=True)


def raw_file(directory: Path, table: str) -> Path:
    """The raw file of a table in ``directory``: Parquet if present (faster), else the tutorial's CSV."""
    parquet = directory / f"{table}.parquet"
    return parquet if parquet.exists() else directory / f"{table}.csv"
