"""Instants in UTC: a naive timestamp means UTC, an aware one is converted to UTC.

The one rule the repository applies to every timestamp it reads (raw files, Feast's answers,
command-line options); docs/concepts.md documents it for users.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd


def utc(moment: datetime | pd.Timestamp | str) -> pd.Timestamp:
    """``moment`` as an aware UTC timestamp (naive: taken as UTC; aware: converted)."""
    stamp = pd.Timestamp(moment)
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def utc_datetime(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime, without pandas (the serving path's form of ``utc``)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def utc_series(values: pd.Series) -> pd.Series:
    """A datetime column in UTC (naive: taken as UTC; aware: converted)."""
    return values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")


def utc_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every datetime column in UTC (for instance the naive ones Spark returns)."""
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = utc_series(frame[column])
    return frame
