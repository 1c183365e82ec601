"""Rows read from and written to the online store in Feast's layout, through the configured online
store class's ``online_read`` and ``online_write_batch`` (the project's bulk SQLite/Redis classes,
or Feast's own): exactly what a materialization of the same rows writes, so stock Feast and the
lean reader read them unchanged.

A store whose ``bulk_load`` is cheap to open (``small_bulk_loads``: the project's Redis class)
is written as the batch engine writes it: the rows as Arrow columns, encoded a column at a time
(``encoded_rows``, ``value_columns``) and sent in a few scripted calls (``redis_script_writer``),
instead of a ``ValueProto`` per value and two pipelined commands per row. Below ``VALUE_ROWS`` rows
(a push's usual few) the scalar features are encoded a value at a time in Python
(``value_bytes``: the same bytes, without NumPy's and Arrow's fixed cost per column).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any

import pyarrow as pa
from feast import FeatureStore, FeatureView
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.value_type import ValueType

from feature_repo.online.encoded_rows import encode_rows, entity_keys
from feature_repo.online.value_columns import EncodedColumn, encode_int64_lists
from feature_repo.push.value_bytes import feast_texts, serialized_scalars
from feature_repo.push.values import converter, python_of, python_of_bytes, serialized_lists

# lists already in Python are serialized a value at a time (by the protobuf runtime), faster than
# through Arrow columns; the bytes are the same (``value_columns``' lists are stored without texts)
PROTO_ENCODED = (ValueType.INT64_LIST, ValueType.STRING_LIST)
ENCODED_ROWS = 64  # fewer rows whose scalars ``value_bytes`` refuses are written as ``ValueProto``s
VALUE_ROWS = 500  # fewer rows have their scalars encoded a value at a time (``value_bytes``)
ARROW_TYPES = {
    ValueType.INT64: pa.int64(),
    ValueType.DOUBLE: pa.float64(),
    ValueType.STRING: pa.string(),
    ValueType.BOOL: pa.bool_(),
    ValueType.UNIX_TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ValueType.INT64_LIST: pa.list_(pa.int64()),
    ValueType.STRING_LIST: pa.list_(pa.string()),
}


def view_of(store: FeatureStore, view: str | FeatureView) -> FeatureView:
    """The view itself (a push fetches each view once: the registry rebuilds it on every call)."""
    return store.get_feature_view(view) if isinstance(view, str) else view


def write_view_rows(
    store: FeatureStore,
    view_name: str | FeatureView,
    keys: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    event_times: Sequence[datetime],
) -> None:
    """Write one row per entity key (``{join_key: value}``) of ``view_name``, at ``event_times``."""
    view_rows_write(store, view_name, keys, rows, event_times)()


def view_rows_write(
    store: FeatureStore,
    view_name: str | FeatureView,
    keys: Sequence[Mapping[str, Any]],
    rows: Sequence[Mapping[str, Any]],
    event_times: Sequence[datetime],
) -> Callable[[], None]:
    """``write_view_rows`` prepared: the rows encoded now, sent when the result is called."""
    if not rows:
        return _nothing
    view = view_of(store, view_name)
    features = [f.name for f in view.features]
    return view_columns_write(
        store, view,
        {name: [key[name] for key in keys] for name in keys[0]},
        {name: [row.get(name) for row in rows] for name in features}, event_times,
    )  # fmt: skip


def write_view_columns(
    store: FeatureStore,
    view_name: str | FeatureView,
    keys: Mapping[str, Sequence[Any]],
    columns: Mapping[str, Sequence[Any]],
    event_times: Sequence[datetime],
) -> None:
    """Write the rows of ``view_name`` given as columns: ``keys`` (join key: values), ``columns``
    (feature: values; a missing feature is unset), one event time per row."""
    view_columns_write(store, view_name, keys, columns, event_times)()


def view_columns_write(
    store: FeatureStore,
    view_name: str | FeatureView,
    keys: Mapping[str, Sequence[Any]],
    columns: Mapping[str, Sequence[Any]],
    event_times: Sequence[datetime],
) -> Callable[[], None]:
    """``write_view_columns`` prepared: the rows encoded now, sent when the result is called (a
    push encodes the next view's rows while the store takes these)."""
    if not len(event_times):
        return _nothing
    view = view_of(store, view_name)
    online = store.provider.online_store
    if getattr(online, "small_bulk_loads", False):
        rows = len(event_times)
        scalars = _value_encoded(view, columns, rows) if rows < VALUE_ROWS else None
        if scalars is not None or rows >= ENCODED_ROWS:
            return _encoded_write(store, view, keys, columns, event_times, scalars or {})
    columns, keys = _lists(columns), _lists(keys)
    rows = [{name: values[i] for name, values in columns.items()} for i in range(len(event_times))]
    key_rows = [{name: values[i] for name, values in keys.items()} for i in range(len(rows))]
    return _protos_write(store, view, key_rows, rows, list(event_times))


def _nothing() -> None:
    return None


def _lists(columns: Mapping[str, Sequence[Any]]) -> dict[str, list]:
    """Columns as lists of Python values (a pandas or numpy column through its ``tolist``, an
    Arrow one through its ``to_pylist``)."""
    return {
        name: values.to_pylist()
        if isinstance(values, pa.Array)
        else values.tolist()
        if hasattr(values, "tolist")
        else list(values)
        for name, values in columns.items()
    }


def _value_encoded(view: FeatureView, columns, rows: int) -> dict[str, EncodedColumn] | None:
    """The view's scalar features encoded a value at a time (``value_bytes``); ``None`` when it
    refuses one (then the column or the ``ValueProto`` path takes them all)."""
    encoded = {}
    for feature in view.features:
        value_type = feature.dtype.to_value_type()
        if value_type in PROTO_ENCODED:
            continue
        values = columns.get(feature.name)
        values = [None] * rows if values is None else _lists({"": values})[""]
        serialized = serialized_scalars(value_type, values)
        if serialized is None:
            return None
        encoded[feature.name] = EncodedColumn(serialized, partial(feast_texts, serialized))
    return encoded


def _encoded_write(
    store, view: FeatureView, keys, columns, event_times, encoded: dict[str, EncodedColumn]
) -> Callable[[], None]:
    """The rows encoded a column at a time (``encode_rows``), but for the features ``encoded``
    already holds."""
    arrays = {name: pa.array(values, from_pandas=True) for name, values in keys.items()}
    encoded = {**encoded, **_int64_lists_encoded(view, columns)}
    for feature in view.features:
        if feature.name in encoded:
            continue
        values = columns.get(feature.name)
        value_type = feature.dtype.to_value_type()
        if isinstance(values, pa.Array):  # an Arrow column (a list array): encoded as it is
            arrays[feature.name] = values
            continue
        if value_type in PROTO_ENCODED and values is not None:
            serialized = serialized_lists(value_type, _lists({"": values})[""])
            encoded[feature.name] = EncodedColumn(serialized, [None] * len(serialized))
            continue
        kind = ARROW_TYPES[value_type]
        arrays[feature.name] = (
            pa.nulls(len(event_times), kind)
            if values is None
            else pa.array(values, kind, from_pandas=True)
        )
    arrays[view.batch_source.timestamp_field] = pa.array(
        event_times, pa.timestamp("us", tz="UTC"), from_pandas=True
    )
    batch = pa.RecordBatch.from_pydict(arrays)
    join_keys = {e.name: e.dtype.to_value_type() for e in view.entity_columns}
    version = store.config.entity_key_serialization_version
    rows = encode_rows(batch, view, join_keys, version, encoded)

    def send() -> None:
        with store.provider.online_store.bulk_load(store.config, view) as writer:
            writer.write(writer.prepare(rows))

    return send


def _int64_lists_encoded(view: FeatureView, columns) -> dict[str, EncodedColumn]:
    """The view's int64 list features given as Arrow list arrays of the same offsets (a ledger's
    columns: ``ledger_bytes``), encoded together (``encode_int64_lists``)."""
    names = [
        f.name for f in view.features
        if f.dtype.to_value_type() == ValueType.INT64_LIST and isinstance(columns.get(f.name), pa.Array)
    ]  # fmt: skip
    encoded = encode_int64_lists([columns[name] for name in names]) if len(names) > 1 else None
    return {} if encoded is None else dict(zip(names, encoded, strict=True))


def _protos_write(store, view: FeatureView, keys, rows, event_times) -> Callable[[], None]:
    columns = {}
    for feature in view.features:
        convert = converter(feature.dtype.to_value_type())
        columns[feature.name] = [convert(row.get(feature.name)) for row in rows]
    data = []
    for position, (key, event_time) in enumerate(zip(keys, event_times, strict=True)):
        values = {name: column[position] for name, column in columns.items()}
        data.append((_entity_key(key), values, event_time, None))
    return lambda: store.provider.online_store.online_write_batch(store.config, view, data, None)


def read_view_rows(
    store: FeatureStore, view_name: str | FeatureView, keys: Sequence[Mapping[str, Any]]
) -> list[tuple[datetime | None, dict[str, Any] | None]]:
    """Per entity key: ``(event_time, {feature: Python value})``, or ``(None, None)`` without a row.

    A store that reads rows left serialized (``online_read_serialized``: the project's Redis
    class) has only the values decoded, each as a ``ValueProto`` would give it."""
    view = view_of(store, view_name)
    online = store.provider.online_store
    names = [f.name for f in view.features]
    rows = read_serialized_rows(store, view, keys)
    if rows is not None:
        return [
            (None, None)
            if row is None
            else (row[0], {name: python_of_bytes(v) for name, v in zip(names, row[1], strict=True)})
            for row in rows
        ]
    found, entity_keys = [], [_entity_key(key) for key in keys]
    for event_time, values in online.online_read(store.config, view, entity_keys, names):
        # no row: (None, None), or (Redis) the epoch and unset values
        if not values or all(v.WhichOneof("val") is None for v in values.values()):
            found.append((None, None))
            continue
        found.append((event_time, {name: python_of(v) for name, v in values.items()}))
    return found


def read_serialized_rows(
    store: FeatureStore, view: FeatureView, keys: Sequence[Mapping[str, Any]]
) -> list[tuple[datetime, list[bytes | None]] | None] | None:
    """Per entity key, the event time and each feature's stored bytes (view order), or ``None``
    without a row; ``None`` for a store that cannot read rows left serialized."""
    online = store.provider.online_store
    if not hasattr(online, "online_read_serialized"):
        return None
    names = [f.name for f in view.features]
    join_keys = {e.name: e.dtype.to_value_type() for e in view.entity_columns}
    if (
        hasattr(online, "online_read_serialized_keys")
        and keys
        and len(join_keys) == 1
        and list(keys[0]) == list(join_keys)
        and join_keys[next(iter(join_keys))] == ValueType.INT64
        and all(type(value) is int for key in keys for value in key.values())
    ):  # one integer key (a user's): packed as Feast serializes it, without a proto per key
        batch = pa.RecordBatch.from_pydict(
            {name: [key[name] for key in keys] for name in join_keys}
        )
        version = store.config.entity_key_serialization_version
        serialized = entity_keys(batch, join_keys, version)
        return online.online_read_serialized_keys(store.config, view, serialized, names)
    protos = [_entity_key(key) for key in keys]
    return online.online_read_serialized(store.config, view, protos, names)


def _entity_key(key: Mapping[str, Any]) -> EntityKeyProto:
    return EntityKeyProto(join_keys=list(key), entity_values=[_key_value(v) for v in key.values()])


def _key_value(value: Any) -> ValueProto:
    if isinstance(value, str):
        return ValueProto(string_val=value)
    return ValueProto(int64_val=int(value))
