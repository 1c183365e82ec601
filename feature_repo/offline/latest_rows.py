"""The latest row per entity in a time window, as materialization reads it, computed in DuckDB with
little memory.

Feast's pull ranks every row of the window with a window function over all its columns, so DuckDB
holds the whole window's history, every feature included (2 GB for 2.2M rows of order statistics).
Here the ranking is narrow: the latest event timestamp per entity is an aggregate over the keys and
the timestamp alone, the wide rows at that timestamp are found by a join, and only those few rows
are ranked by created timestamp. The rows are Feast's: the latest event timestamp per entity, then
the latest created timestamp; rows equal on both are picked from arbitrarily, as in Feast.
"""

from __future__ import annotations

from datetime import UTC, datetime

import ibis
from ibis.expr.types import Table

LATEST = "_latest_event"


def latest_rows(
    table: Table,
    join_keys: list[str],
    features: list[str],
    timestamp_field: str,
    created_timestamp_column: str | None,
    start: datetime,
    end: datetime,
) -> Table:
    """One row per entity of ``table``: its latest in ``[start, end]`` by Feast's tie rule."""
    stamps = [timestamp_field, *([created_timestamp_column] if created_timestamp_column else [])]
    rows = _in_window(table.select(*join_keys, *features, *stamps), timestamp_field, start, end)
    # The aggregate reads its own narrow selection: were it computed from ``rows``, DuckDB would
    # materialize ``rows`` (every feature of the window) once for both uses.
    narrow = _in_window(table.select(*join_keys, timestamp_field), timestamp_field, start, end)
    latest = narrow.group_by(join_keys).aggregate(**{LATEST: narrow[timestamp_field].max()})
    candidates = rows.inner_join(
        latest,
        [*(rows[k] == latest[k] for k in join_keys), rows[timestamp_field] == latest[LATEST]],
    ).select(rows.columns)
    order = [ibis.desc(candidates[c]) for c in stamps[1:]]
    window = ibis.window(group_by=join_keys, order_by=order or None)
    ranked = candidates.mutate(_rank=ibis.row_number().over(window))
    return ranked.filter(ranked["_rank"] == 0).drop("_rank")


def _in_window(rows: Table, timestamp_field: str, start: datetime, end: datetime) -> Table:
    event = rows[timestamp_field].cast("timestamp")
    return rows.filter(event >= _naive_utc(start), event <= _naive_utc(end))


def _naive_utc(instant: datetime) -> ibis.Scalar:
    """The bound as Feast's pull compares it: a naive UTC timestamp."""
    return ibis.literal(instant.astimezone(UTC).replace(tzinfo=None))


def in_little_endian_order(table: Table, key: str) -> Table:
    """``table`` ordered by the little-endian bytes of its integer column ``key`` (lowest byte
    first): the order of Feast's serialized entity keys for a single Int64 join key, so that an
    online store's index receives a load in sequence."""
    column = table[key].cast("int64")
    return table.order_by([(column >> (8 * byte)) & 255 for byte in range(8)])
