"""Typing and checking raw columns: each converter returns the typed column or raises a
:class:`RawDataError` naming the file, the column and the first offending rows.

Rows are located by the frame's index, so a chunk of a file keeps the line numbers of the
whole file (its index starts where the chunk starts).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from feature_repo.core import raw_format as tf
from feature_repo.core.timestamps import utc_series
from feature_repo.pipeline.errors import MAX_ROWS_SHOWN, OffendingRow, RawDataError

AWARE_SUFFIX = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


def locations(path: Path, index: pd.Index) -> list[str]:
    """How a person finds a row: the CSV line (header is line 1) or the Parquet row number."""
    if path.suffix == ".csv":
        return [f"line {i + 2}" for i in index]
    return [f"row {i}" for i in index]


def offending(
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
        for location, i in zip(locations(path, shown), shown, strict=True)
    ]
    error = RawDataError(str(path), column, problem, rows, int(bad.sum()))
    if hint:
        error.hint = hint
    return error


def check_file(path: Path) -> None:
    """The file exists, is not empty and is CSV or Parquet."""
    if not path.exists():
        raise RawDataError(
            str(path),
            None,
            "file not found",
            hint="Run `delivery-fs generate-data` or pass the right path.",
        )
    if path.stat().st_size == 0:
        raise RawDataError(str(path), None, "the file is empty (0 bytes)")
    if path.suffix not in (".csv", ".parquet"):
        raise RawDataError(
            str(path), None, f"unsupported file type '{path.suffix}'", hint="Use .csv or .parquet."
        )


def check_columns(path: Path, columns: list[str], expected: dict[str, str]) -> None:
    """The file has exactly the tutorial's columns."""
    missing = [c for c in expected if c not in columns]
    extra = [c for c in columns if c not in expected]
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


def no_rows(path: Path) -> RawDataError:
    return RawDataError(str(path), None, "the file has a header but no rows")


def _blank(values: pd.Series) -> pd.Series:
    if values.dtype == object or pd.api.types.is_string_dtype(values):
        return values.isna() | (values.astype(str).str.strip() == "")
    return values.isna()


def _as_int(path: Path, column: str, values: pd.Series) -> pd.Series:
    if pd.api.types.is_integer_dtype(values) and not values.isna().any():
        return values.astype(np.int64)
    numbers = pd.to_numeric(values, errors="coerce")
    low, high = tf.INT64_RANGE
    bad = numbers.isna() | (numbers % 1 != 0) | (numbers < low) | (numbers >= high)
    if bad.any():
        raise offending(path, column, "expected whole numbers (64-bit)", bad, values)
    return numbers.astype(np.int64)


def _as_float(path: Path, column: str, values: pd.Series) -> pd.Series:
    numbers = (
        pd.to_numeric(values, errors="coerce")
        if not pd.api.types.is_numeric_dtype(values)
        else values
    )
    bad = numbers.isna() | ~np.isfinite(numbers.astype(float))
    if bad.any():
        raise offending(path, column, "expected numbers", bad, values)
    return numbers.astype(np.float64)


def _as_str(path: Path, column: str, values: pd.Series) -> pd.Series:
    bad = _blank(values)
    if bad.any():
        raise offending(path, column, "empty values", bad, values)
    return values.astype(str)


def _as_date(path: Path, column: str, values: pd.Series) -> pd.Series:
    """Dates as naive datetime64 (midnight)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = values.dt.tz_convert(None) if values.dt.tz is not None else values
    else:
        parsed = pd.to_datetime(values.astype(str), format=tf.DATE_FORMAT, errors="coerce")
    bad = parsed.isna()
    if bad.any():
        raise offending(
            path,
            column,
            f"unparseable dates (expected {tf.DATE_FORMAT.replace('%', '')})",
            bad,
            values,
        )
    return parsed.dt.normalize().astype("datetime64[us]")


def _as_utc_datetime(path: Path, column: str, values: pd.Series) -> pd.Series:
    """Date-times as UTC: naive values are UTC; offsets are converted (a mix is refused by the reader,
    which looks at the whole file: see ``is_aware``)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = utc_series(values)
    else:
        text = values.astype(str).str.strip()
        parsed = pd.to_datetime(text, format="ISO8601", errors="coerce", utc=True)
    bad = parsed.isna()
    if bad.any():
        raise offending(
            path, column, "unparseable date-times (expected e.g. 2020-04-01 12:30:00)", bad, values
        )
    return parsed.astype("datetime64[us, UTC]")


def is_aware(values: pd.Series) -> pd.Series:
    """Which text timestamps carry a UTC offset (all ``False`` for typed timestamps)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return pd.Series(False, index=values.index)
    return values.astype(str).str.strip().str.contains(AWARE_SUFFIX)


MIXED_TIMEZONES_HINT = (
    "Write every timestamp the same way: all in UTC without offset, or all with an offset."
)


def mixed_timezones_problem(minority_count: int, minority_aware: bool) -> str:
    kind = "with a UTC offset" if minority_aware else "without a UTC offset"
    return f"mixed naive and time-zone-aware timestamps ({minority_count} {kind})"


CONVERTERS = {
    "int": _as_int,
    "float": _as_float,
    "str": _as_str,
    "date": _as_date,
    "datetime": _as_utc_datetime,
}
