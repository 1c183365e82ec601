"""The point-in-time join of a training frame as DuckDB ``ASOF`` joins, with Feast's semantics.

Feast 0.67's DuckDB store joins every entity row with every feature row of its entity that is not
later than the row's instant, then keeps the latest per entity row with a window: on a million
entity rows over a year of history that intermediate holds tens of millions of rows. An ``ASOF``
join finds the latest feature row directly. The result is the same as Feast's:

- **as of**: a feature row counts when its event timestamp is not later than the entity row's;
- **ties**: of the rows of one entity with the same event timestamp, the one with the latest
  created timestamp wins (the view's rows are reduced to one per entity and event timestamp
  first, ordered as Feast orders them); with equal created timestamps the pick is arbitrary, as
  in Feast;
- **TTL**: the latest row is used only when ``event timestamp + ttl >= the entity row's
  instant`` (Feast's expression); an older one gives nulls. The latest row is the only one that
  can pass, so checking it alone equals Feast's filter-then-pick;
- every entity row is kept once, with its own columns, and comes back in the entity frame's
  order (Feast's own order is arbitrary); field mappings, join-key maps and full
  feature names are applied as Feast applies them.

Feast's ``filter_by_created_timestamp`` (a row counts only once created) does not fit an
``ASOF`` join; the store uses Feast's own join for it.
"""

from __future__ import annotations

from collections.abc import Callable

import ibis
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from feast.data_source import DataSource
from feast.feature_view import FeatureView
from ibis.expr import datatypes as dt
from ibis.expr.types import Table

UTC = dt.Timestamp(timezone="UTC")
ROW = "_entity_row"  # the entity frame's order, kept through the joins


def asof_training_table(
    entity_df: pd.DataFrame,
    event_timestamp_column: str,
    feature_views: list[FeatureView],
    feature_refs: list[str],
    full_feature_names: bool,
    read_source: Callable[[DataSource], Table],
) -> Table:
    """The entity rows with every requested feature of ``feature_views`` as of their instant, and
    their position in the frame (``ROW``): sorting the joined rows in DuckDB holds the whole
    result twice, so the caller restores the order (``in_entity_order``)."""
    entities = ibis.memtable(entity_df.assign(**{ROW: np.arange(len(entity_df))}))
    result = entities
    for index, view in enumerate(feature_views):
        result = _join_view(
            result, event_timestamp_column, view, index, feature_refs, full_feature_names,
            read_source(view.batch_source), entities,
        )  # fmt: skip
    return result


def _requested(view: FeatureView, feature_refs: list[str], full_feature_names: bool):
    """(feature name in the source, output column name) of each requested feature of ``view``."""
    prefix = f"{view.projection.name_to_use()}:"
    names = [ref[len(prefix) :] for ref in feature_refs if ref.startswith(prefix)]
    base = view.projection.name_alias or view.name
    return [(name, f"{base}__{name}" if full_feature_names else name) for name in names]


def _latest_per_instant(table: Table, keys: list[str], stamp: str, created: str | None) -> Table:
    """One row per entity and event timestamp: the latest created (Feast's tie rule)."""
    if not created:
        return table
    window = ibis.window(group_by=[*keys, stamp], order_by=[ibis.desc(table[created])])
    ranked = table.mutate(_rank=ibis.row_number().over(window))
    return ranked.filter(ranked["_rank"] == 0).drop("_rank", created)


def _join_view(
    result: Table,
    event_timestamp_column: str,
    view: FeatureView,
    index: int,
    feature_refs: list[str],
    full_feature_names: bool,
    source: Table,
    entities: Table,
) -> Table:
    batch_source = view.batch_source
    for column, mapped in batch_source.field_mapping.items():
        if column in source.columns:
            source = source.rename({mapped: column})
    key_map = view.projection.join_key_map or {e.name: e.name for e in view.entity_columns}
    features = _requested(view, feature_refs, full_feature_names)
    stamp, created = (
        f"_ts{index}",
        f"_created{index}" if batch_source.created_timestamp_column else None,
    )
    keys = {source_key: f"_key{index}_{n}" for n, source_key in enumerate(key_map)}
    columns = {
        **{alias: source[key] for key, alias in keys.items()},
        stamp: source[batch_source.timestamp_field].cast(UTC),
        **{output: source[name] for name, output in features},
    }
    if created:
        columns[created] = source[batch_source.created_timestamp_column].cast(UTC)
    selected = source.select(**columns)
    # only the entities asked for: fewer feature rows for the join to sort (a hash semi-join)
    for key, alias in keys.items():
        selected = selected.filter(selected[alias].isin(entities[key_map[key]]))
    right = _latest_per_instant(selected, list(keys.values()), stamp, created)
    joined = result.asof_join(
        right,
        on=result[event_timestamp_column] >= right[stamp],
        predicates=[result[key_map[key]] == right[alias] for key, alias in keys.items()],
    )
    fresh = (
        joined[stamp] + ibis.literal(view.ttl) >= joined[event_timestamp_column]
        if view.ttl
        else ibis.literal(True)
    )
    return joined.select(
        *result.columns,
        **{output: fresh.ifelse(joined[output], ibis.null()) for _, output in features},
    )


def in_entity_order(table: pa.Table) -> pa.Table:
    """The joined rows in the entity frame's order, without the ``ROW`` column."""
    order = pc.sort_indices(table.column(ROW))
    return table.drop_columns([ROW]).take(order)
