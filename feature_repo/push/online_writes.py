"""Rows read from and written to the online store in Feast's layout, through the configured online
store class's ``online_read`` and ``online_write_batch`` (the project's bulk SQLite/Redis classes,
or Feast's own): exactly what a materialization of the same rows writes, so stock Feast and the
lean reader read them unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from feast import FeatureStore
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto

from feature_repo.push.values import converter, python_of


def write_view_rows(
    store: FeatureStore,
    view_name: str,
    keys: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    event_times: Sequence[datetime],
) -> None:
    """Write one row per entity key (``{join_key: value}``) of ``view_name``, at ``event_times``."""
    if not rows:
        return
    view = store.get_feature_view(view_name)
    columns = {}
    for feature in view.features:
        convert = converter(feature.dtype.to_value_type())
        columns[feature.name] = [convert(row.get(feature.name)) for row in rows]
    data = []
    for position, (key, event_time) in enumerate(zip(keys, event_times, strict=True)):
        values = {name: column[position] for name, column in columns.items()}
        data.append((_entity_key(key), values, event_time, None))
    store.provider.online_store.online_write_batch(store.config, view, data, None)


def read_view_rows(
    store: FeatureStore, view_name: str, keys: Sequence[Mapping[str, Any]]
) -> list[tuple[datetime | None, dict[str, Any] | None]]:
    """Per entity key: ``(event_time, {feature: Python value})``, or ``(None, None)`` without a row."""
    view = store.get_feature_view(view_name)
    rows = store.provider.online_store.online_read(
        store.config, view, [_entity_key(key) for key in keys], [f.name for f in view.features]
    )
    found = []
    for event_time, values in rows:
        # no row: (None, None), or (Redis) the epoch and unset values
        if not values or all(v.WhichOneof("val") is None for v in values.values()):
            found.append((None, None))
            continue
        found.append((event_time, {name: python_of(v) for name, v in values.items()}))
    return found


def _entity_key(key: Mapping[str, Any]) -> EntityKeyProto:
    return EntityKeyProto(join_keys=list(key), entity_values=[_key_value(v) for v in key.values()])


def _key_value(value: Any) -> ValueProto:
    if isinstance(value, str):
        return ValueProto(string_val=value)
    return ValueProto(int64_val=int(value))
