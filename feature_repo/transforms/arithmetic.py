"""Element-wise arithmetic shared by the batch pipeline and the on-demand views.

Inputs are array-likes (lists from an on-demand view, Series from the pipeline); missing
values are ``None`` or NaN and stay missing (NaN) in the output.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pandas as pd

SECONDS_PER_DAY = 86_400.0
SECONDS_PER_HOUR = 3_600.0

FloatArray = npt.NDArray[np.float64]


def as_float_array(values: Iterable[float | None] | npt.ArrayLike) -> FloatArray:
    """Values as float64, with ``None`` as NaN."""
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    return np.asarray(values, dtype=np.float64)  # None becomes NaN


def epoch_seconds(
    values: Iterable[datetime | pd.Timestamp | str | float | None] | pd.Series,
) -> FloatArray:
    """Instants as Unix seconds (float). Datetimes and ISO strings: naive means UTC.

    Numbers are taken as Unix seconds already (Feast's UnixTimestamp convention, and what a
    JSON client sends); ``None``/NaT are NaN.
    """
    if isinstance(values, pd.Series) and pd.api.types.is_datetime64_any_dtype(values):
        return _datetime_seconds(values)
    items = list(values)
    numbers = [isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in items]
    if not any(numbers):
        return _datetime_seconds(pd.Series(items, dtype=object))
    if all(numbers):
        return np.asarray(items, dtype=np.float64)
    return np.array([float(v) if is_number else _datetime_seconds(pd.Series([v], dtype=object))[0]
                     for v, is_number in zip(items, numbers, strict=True)])  # fmt: skip


def _datetime_seconds(series: pd.Series) -> FloatArray:
    stamps = pd.to_datetime(series, utc=True, format="ISO8601").dt.as_unit("us")
    seconds = stamps.astype("int64").to_numpy(dtype=np.float64) / 1e6
    seconds[stamps.isna().to_numpy()] = np.nan
    return seconds


def safe_ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike) -> FloatArray:
    """``numerator / denominator``, NaN where the denominator is 0 or either side is missing."""
    top, bottom = as_float_array(numerator), as_float_array(denominator)
    out = np.full(np.broadcast(top, bottom).shape, np.nan)
    np.divide(top, bottom, out=out, where=(bottom != 0) & ~np.isnan(bottom))
    return out


def whole_days_between(later_seconds: npt.ArrayLike, earlier_seconds: npt.ArrayLike) -> FloatArray:
    """Whole days elapsed from ``earlier`` to ``later`` (both Unix seconds), floored; NaN if either is missing."""
    return np.floor(
        (as_float_array(later_seconds) - as_float_array(earlier_seconds)) / SECONDS_PER_DAY
    )


def hours_between(later_seconds: npt.ArrayLike, earlier_seconds: npt.ArrayLike) -> FloatArray:
    """Hours elapsed from ``earlier`` to ``later`` (both Unix seconds); NaN if either is missing."""
    return (as_float_array(later_seconds) - as_float_array(earlier_seconds)) / SECONDS_PER_HOUR


def to_optional_list(values: FloatArray, as_int: bool = False) -> list[float | int | None]:
    """NaN as ``None`` (what Feast expects from a python-mode view), optionally as ints."""
    items = np.asarray(values, dtype=np.float64).tolist()
    if as_int:
        return [None if v != v else int(v) for v in items]  # v != v: NaN
    return [None if v != v else v for v in items]
