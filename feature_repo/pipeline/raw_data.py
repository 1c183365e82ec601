"""Reading the raw users and transactions (the tutorial's CSV or our Parquet) into typed, checked frames.

Every problem becomes a :class:`RawDataError` naming the file, the column and the first
offending rows; nothing is written until both tables pass.

Typed output:
- users: ``user_id`` int64, the category columns as str, ``registration_date`` as a UTC
  timestamp at midnight, ``birth_date`` as a naive datetime64 date.
- transactions: ids and flags int64, money float64, ``transaction_date`` as a UTC timestamp.
  Naive times are taken as UTC; times with an offset are converted; a file mixing both is refused.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from feature_repo.pipeline import tutorial_format as tf
from feature_repo.pipeline.errors import MAX_ROWS_SHOWN, OffendingRow, RawDataError
from feature_repo.timestamps import utc_series

AWARE_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def _locations(path: Path, index: pd.Index) -> list[str]:
    """How a person finds a row: the CSV line (header is line 1) or the Parquet row number."""
    if path.suffix == ".csv":
        return [f"line {i + 2}" for i in index]
    return [f"row {i}" for i in index]


def _offending(
    path: Path,
    column: str,
    problem: str,
    bad: pd.Series,
    values: pd.Series,
    hint: str | None = None,
) -> RawDataError:
    """An error for the rows where ``bad`` is true."""
    bad_index = bad[bad].index
    shown = bad_index[:MAX_ROWS_SHOWN]
    rows = [
        OffendingRow(
            location, values.loc[i].item() if hasattr(values.loc[i], "item") else values.loc[i]
        )
        for location, i in zip(_locations(path, shown), shown, strict=True)
    ]
    error = RawDataError(str(path), column, problem, rows, int(bad.sum()))
    if hint:
        error.hint = hint
    return error


def _read_frame(path: Path) -> pd.DataFrame:
    """The file as a DataFrame: CSV cells as strings (parsed later, per column), Parquet as stored."""
    if not path.exists():
        raise RawDataError(
            str(path),
            None,
            "file not found",
            hint="Run `delivery-fs generate-data` or pass the right path.",
        )
    if path.stat().st_size == 0:
        raise RawDataError(str(path), None, "the file is empty (0 bytes)")
    if path.suffix == ".csv":
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, engine="pyarrow")
    elif path.suffix == ".parquet":
        frame = pq.read_table(path).to_pandas()
    else:
        raise RawDataError(
            str(path), None, f"unsupported file type '{path.suffix}'", hint="Use .csv or .parquet."
        )
    return frame


def _check_columns(path: Path, frame: pd.DataFrame, expected: dict[str, str]) -> None:
    missing = [c for c in expected if c not in frame.columns]
    extra = [c for c in frame.columns if c not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"missing column(s) {missing}")
        if extra:
            parts.append(f"unexpected column(s) {extra}")
        raise RawDataError(
            str(path),
            None,
            "; ".join(parts) + f"; expected exactly {list(expected)}",
            hint="The file must have the tutorial's columns, no more and no fewer.",
        )
    if frame.empty:
        raise RawDataError(str(path), None, "the file has a header but no rows")


def _blank(values: pd.Series) -> pd.Series:
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        return values.isna() | (values.astype(str).str.strip() == "")
    return values.isna()


def _as_int(path: Path, column: str, values: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(values) and not values.isna().any():
        return values.astype(np.int64)
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | (numbers % 1 != 0)
    if bad.any():
        raise _offending(path, column, "expected whole numbers", bad, values)
    return numbers.astype(np.int64)


def _as_float(path: Path, column: str, values: pd.Series) -> pd.Series:
    numbers = (
        pd.to_numeric(values, errors="coerce")
        if not pd.api.types.is_numeric_dtype(values)
        else values
    )
    bad = numbers.isna() | ~np.isfinite(numbers.astype(float))
    if bad.any():
        raise _offending(path, column, "expected numbers", bad, values)
    return numbers.astype(np.float64)


def _as_str(path: Path, column: str, values: pd.Series) -> pd.Series:
    bad = _blank(values)
    if bad.any():
        raise _offending(path, column, "empty values", bad, values)
    return values.astype(str)


def _as_date(path: Path, column: str, values: pd.Series) -> pd.Series:
    """Dates as naive datetime64 (midnight)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values.dt.tz_convert(None) if values.dt.tz is not None else values
    else:
        parsed = pd.to_datetime(values.astype(str), format=tf.DATE_FORMAT, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        raise _offending(
            path,
            column,
            f"unparseable dates (expected {tf.DATE_FORMAT.replace('%', '')})",
            bad,
            values,
        )
    return parsed.dt.normalize().astype("datetime64[us]")


def _as_utc_datetime(path: Path, column: str, values: pd.Series) -> pd.Series:
    """Date-times as UTC: naive values are UTC; offsets are converted; a mix is refused."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = utc_series(values)
    else:
        text = values.astype(str).str.strip()
        aware = text.str.contains(AWARE_SUFFIX)
        if aware.any() and not aware.all():
            minority = aware if aware.sum() <= (~aware).sum() else ~aware
            kind = "with a UTC offset" if minority is aware else "without a UTC offset"
            raise _offending(
                path,
                column,
                f"mixed naive and time-zone-aware timestamps ({int(minority.sum())} {kind})",
                minority,
                values,
                hint="Write every timestamp the same way: all in UTC without offset, or all with an offset.",
            )
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = parsed.isna()
    if bad.any():
        raise _offending(
            path, column, "unparseable date-times (expected e.g. 2020-04-01 12:30:00)", bad, values
        )
    return parsed.astype("datetime64[us, UTC]")


CONVERTERS = {
    "int": _as_int,
    "float": _as_float,
    "str": _as_str,
    "date": _as_date,
    "datetime": _as_utc_datetime,
}


def _typed(path: Path, expected: dict[str, str]) -> pd.DataFrame:
    frame = _read_frame(path)
    _check_columns(path, frame, expected)
    frame = frame.reset_index(drop=True)
    return pd.DataFrame({c: CONVERTERS[kind](path, c, frame[c]) for c, kind in expected.items()})


def _check_unique(path: Path, frame: pd.DataFrame, column: str) -> None:
    duplicated = frame[column].duplicated(keep=False)
    if duplicated.any():
        raise _offending(
            path,
            column,
            "duplicate ids",
            duplicated,
            frame[column],
            hint="Each id must appear once; remove the duplicates and rerun.",
        )


def _check_non_negative(path: Path, frame: pd.DataFrame, column: str) -> None:
    negative = frame[column] < 0
    if negative.any():
        raise _offending(path, column, "negative values", negative, frame[column])


def read_users(path: Path) -> pd.DataFrame:
    """Typed, checked users: unique ids, parseable dates, born before registering."""
    users = _typed(path, tf.USER_COLUMNS)
    _check_unique(path, users, "user_id")
    born_after = users["birth_date"] >= users["registration_date"].dt.tz_localize(None)
    if born_after.any():
        raise _offending(
            path,
            "birth_date",
            "birth date on or after the registration date",
            born_after,
            users["birth_date"].astype(str),
        )
    users["registration_date"] = users["registration_date"].dt.tz_localize("UTC")
    return users


def read_transactions(path: Path, users: pd.DataFrame) -> pd.DataFrame:
    """Typed, checked transactions: unique ids, known users, no negative money, 0/1 coupon flags."""
    transactions = _typed(path, tf.TRANSACTION_COLUMNS)
    _check_unique(path, transactions, "transaction_id")
    for column in ("amount", "shipping_costs", "discount_coupon_amount"):
        _check_non_negative(path, transactions, column)
    not_a_flag = ~transactions["discount_coupon"].isin([0, 1])
    if not_a_flag.any():
        raise _offending(
            path, "discount_coupon", "expected 0 or 1", not_a_flag, transactions["discount_coupon"]
        )
    unknown_user = ~transactions["user_id"].isin(users["user_id"])
    if unknown_user.any():
        raise _offending(
            path,
            "user_id",
            "transactions of users that are not in the users file",
            unknown_user,
            transactions["user_id"],
            hint="Add the users to the users file or remove their transactions, then rerun.",
        )
    return transactions


def raw_file(directory: Path, table: str) -> Path:
    """The raw file of a table in ``directory``: Parquet if present (faster), else the tutorial's CSV."""
    parquet = directory / f"{table}.parquet"
    return parquet if parquet.exists() else directory / f"{table}.csv"
