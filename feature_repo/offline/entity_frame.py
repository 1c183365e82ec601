"""The entity frame of ``get_historical_features`` in the form Feast's DuckDB join expects.

A notebook builds entity frames in many valid ways, and Feast 0.67's DuckDB store accepts only
some of them: timestamps with nanoseconds (what ``t0 + pd.to_timedelta(seconds, unit="s")``
gives) fail inside pyarrow ("Casting from timestamp[ns] to timestamp[us, tz=UTC] would lose
data"), and naive timestamps reach the join without a time zone. Here every datetime column
becomes UTC at microsecond precision before Feast sees the frame:

- naive datetimes are UTC (the project's rule); aware ones are converted to UTC;
- ISO 8601 strings in the event-timestamp column are parsed (naive strings are UTC too);
- nanoseconds are floored to the microsecond.

Why floor: DuckDB and the feature tables hold microseconds, so a feature row's timestamp ``f``
is a whole number of microseconds, and ``f <= t`` holds exactly when ``f <= floor_us(t)``. The
point-in-time side of the join (no value from after the entity's instant) is therefore exact.
Rounding up could let in a row written up to 1 µs after the instant, which is a leak from the
future. The only effect of flooring is at the TTL's edge: a value whose TTL ends inside the
sub-microsecond gap between ``floor_us(t)`` and ``t`` still counts as fresh. The returned
``event_timestamp`` is the floored instant (``timestamp[us, UTC]``, as Feast's DuckDB store
returns).

The caller's frame is never modified (Feast's own conversion assigns into it).
"""

from __future__ import annotations

import pandas as pd
from feast.infra.offline_stores.offline_utils import DEFAULT_ENTITY_DF_EVENT_TIMESTAMP_COL

from feature_repo.core.errors import FeatureStoreError

SHOWN_ROWS = 5


class EntityFrameError(FeatureStoreError):
    """An entity frame that cannot be joined: its timestamps cannot be read as instants."""


def normalized_entity_frame(entity_df: pd.DataFrame | str) -> pd.DataFrame | str:
    """A copy of ``entity_df`` whose datetime columns (and event-timestamp strings) are UTC
    microseconds; a SQL string is returned unchanged."""
    if not isinstance(entity_df, pd.DataFrame):
        return entity_df
    frame = entity_df.copy(deep=False)
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            frame[column] = utc_microseconds(values)
        elif column == DEFAULT_ENTITY_DF_EVENT_TIMESTAMP_COL:
            frame[column] = utc_microseconds(_parsed(values, column))
    return frame


def utc_microseconds(values: pd.Series) -> pd.Series:
    """Datetimes as ``datetime64[us, UTC]``: naive ones are UTC, nanoseconds floored."""
    stamps = values.dt.tz_localize("UTC") if values.dt.tz is None else values.dt.tz_convert("UTC")
    if stamps.dt.unit == "ns":
        stamps = stamps.dt.floor("us")
    return stamps.dt.as_unit("us")


def _parsed(values: pd.Series, column: str) -> pd.Series:
    """Strings or Python datetimes of the event-timestamp column as pandas datetimes (UTC)."""
    try:
        return pd.to_datetime(values, utc=True, format="ISO8601")
    except (ValueError, TypeError):
        pass
    unreadable = [
        (index, value)
        for index, value in values.items()
        if pd.isna(pd.to_datetime(value, utc=True, format="ISO8601", errors="coerce"))
    ]
    shown = ", ".join(f"row {index}: {value!r}" for index, value in unreadable[:SHOWN_ROWS])
    raise EntityFrameError(
        f"entity frame column {column!r}: {len(unreadable)} value(s) are not instants "
        f"({shown}). Give datetimes or ISO 8601 strings such as '2024-05-01T12:00:00Z' "
        "(naive ones are read as UTC)."
    )
