"""The latest row per entity in a time window, as materialization reads it, computed in DuckDB with
little memory.

Feast's pull ranks every row of the window with a window function over all its columns, so DuckDB
holds the whole window's history, every feature included (2 GB for 2.2M rows of order statistics).
Here the ranking is narrow: the latest event timestamp per entity is an aggregate over the keys and
the timestamp alone, the wide rows at that timestamp are found by a join, and only those few rows
are ranked by created timestamp. The rows are Feast's: the latest event timestamp per entity, then
the latest created timestamp; rows equal on both are picked from arbitrarily, as in Feast.

DuckDB still holds one row per entity of the window while it ranks them (and, for a load in key
order, while it sorts them): memory that grows with the entities. A pull can therefore be split
into parts of about a given number of entities by ranges of a single integer join key
(``key_spread``, ``part_bounds``, ``in_key_part``): each part's entities are all of their rows, so
the parts' latest rows are the whole pull's, and each query holds one part's entities only.
"""

from __future__ import annotations

from datetime import UTC, datetime
from math import ceil, floor

import ibis
from ibis.expr.types import Table

LATEST = "_latest_event"
QUANTILES = 1024  # of the join key, from which the part bounds are picked


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


def key_spread(table: Table, key: str) -> Table:
    """One row: the approximate number of distinct ``key`` values of ``table`` (``entities``) and
    the key's ``1/QUANTILES`` quantiles over its rows (``quantiles``), in little memory (a
    HyperLogLog and a t-digest). Over all rows, not a time window: a window's entities are among
    them (at most more parts), and the cast of every timestamp a window needs would double the cost."""
    probabilities = [i / QUANTILES for i in range(1, QUANTILES)]
    return table.aggregate(
        entities=table[key].approx_nunique(), quantiles=table[key].approx_quantile(probabilities)
    )


def part_bounds(entities: int, quantiles: list[float], entities_per_part: int) -> list[int]:
    """The increasing inner bounds splitting a key of ``entities`` values into parts of about
    ``entities_per_part`` (at most ``QUANTILES``), picked from its quantiles; none for one part.
    Any bounds partition the keys: they only decide how even the parts are."""
    parts = min(QUANTILES, ceil(entities / entities_per_part)) if entities > 0 else 1
    picked = (quantiles[round(i * QUANTILES / parts) - 1] for i in range(1, parts))
    return sorted({floor(q) for q in picked if q is not None})


def in_key_part(table: Table, key: str, lower: int | None, upper: int | None) -> Table:
    """The rows of ``table`` whose ``key`` is in ``[lower, upper)`` (None: unbounded)."""
    column = table[key]
    conditions = [
        *([column >= lower] if lower is not None else []),
        *([column < upper] if upper is not None else []),
    ]
    return table.filter(*conditions) if conditions else table
