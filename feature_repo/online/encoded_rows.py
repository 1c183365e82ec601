"""One Arrow record batch of a feature view, encoded for an online store a column at a time: the
serialized entity keys, each feature's serialized ``ValueProto``s (``value_columns``) and the event
and created times, exactly as Feast's conversion (``feast_internals.arrow_to_online_rows``) would
hand them to ``online_write_batch`` once serialized, without a protobuf or a dict per row.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property, lru_cache
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from feast import FeatureView
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.type_map import python_values_to_proto_values
from feast.value_type import ValueType

from feature_repo.online.value_columns import EncodedColumn, encode_column

_INT64 = struct.Struct("<q")
_MICROS_UTC = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class EncodedRows:
    """Rows of one view: position ``i`` of every list is entity row ``i``."""

    entity_keys: list[bytes]  # Feast's serialize_entity_key, without any project suffix
    features: dict[str, EncodedColumn]  # in the view's feature order
    event_column: pa.Array  # the event times as given
    created_column: pa.Array | None  # the created times, if the view's source has them
    event_micros: np.ndarray  # the event times in microseconds since the epoch (UTC)

    def __len__(self) -> int:
        return len(self.entity_keys)

    @cached_property
    def event_times(self) -> list[datetime]:
        """As Feast's conversion hands them to a store: made on first use (a scripted Redis
        write needs only ``event_micros``)."""
        return _datetimes(self.event_column)

    @cached_property
    def created_times(self) -> list[datetime | None]:
        column = self.created_column
        return [None] * len(self) if column is None else _datetimes(column)


@dataclass(frozen=True)
class BulkWriter:
    """What an online store's ``bulk_load`` yields: ``prepare`` turns encoded rows into the
    store's requests (Python work: the engine runs it in its reading thread, while ``write`` of the
    previous batch waits on the store with the GIL released), ``write`` sends them."""

    prepare: Callable[[EncodedRows], Any]
    write: Callable[[Any], None]


def encode_rows(
    batch: pa.RecordBatch,
    view: FeatureView,
    join_keys: dict[str, ValueType],
    key_version: int,
    encoded: dict[str, EncodedColumn] | None = None,
) -> EncodedRows:
    """``batch`` (the view's features, join keys and timestamps, named as in the view) encoded;
    the features in ``encoded`` (already encoded by the caller) are taken as they are."""
    encoded = encoded or {}
    names = set(batch.schema.names) | set(encoded)
    missing = [f.name for f in view.features if f.name not in names]
    if missing:
        raise ValueError(f"Column {missing[0]} not found in table")  # Feast's message
    features = {
        f.name: encoded[f.name]
        if f.name in encoded
        else encode_column(batch.column(f.name), f.dtype.to_value_type())
        for f in view.features
    }
    source = view.batch_source
    created = source.created_timestamp_column
    return EncodedRows(
        entity_keys=entity_keys(batch, join_keys, key_version),
        features=features,
        event_column=batch.column(source.timestamp_field),
        created_column=batch.column(created) if created else None,
        event_micros=_micros(batch.column(source.timestamp_field)),
    )


def entity_keys(
    batch: pa.RecordBatch, join_keys: dict[str, ValueType], version: int
) -> list[bytes]:
    """Each row's serialized entity key; a single non-null Int64 key is packed directly after
    the prefix Feast writes for it."""
    if len(join_keys) == 1:
        ((name, value_type),) = join_keys.items()
        column = batch.column(name)
        if (
            value_type == ValueType.INT64
            and pa.types.is_integer(column.type)
            and not column.null_count
        ):
            prefix, pack = _int64_key_prefix(name, version), _INT64.pack
            return [prefix + pack(v) for v in column.to_numpy(zero_copy_only=False).tolist()]
    columns = {
        name: python_values_to_proto_values(batch.column(name).to_numpy(zero_copy_only=False), kind)
        for name, kind in join_keys.items()
    }
    return [
        _serialized({name: values[i] for name, values in columns.items()}, version)
        for i in range(batch.num_rows)
    ]


@lru_cache(maxsize=64)
def _int64_key_prefix(name: str, version: int) -> bytes:
    """What Feast writes before the 8 bytes of a single Int64 key ``name``'s value."""
    return _serialized({name: ValueProto(int64_val=0)}, version)[: -_INT64.size]


def _serialized(values: dict[str, ValueProto], version: int) -> bytes:
    key = EntityKeyProto(join_keys=list(values), entity_values=list(values.values()))
    return serialize_entity_key(key, entity_key_serialization_version=version)


def _micros(column: pa.Array) -> np.ndarray:
    if column.type == _MICROS_UTC and not column.null_count:  # its data: the microseconds
        return np.frombuffer(column.buffers()[1], np.int64, len(column), column.offset * 8)
    return (
        pd.to_datetime(column.to_numpy(zero_copy_only=False))
        .to_numpy()
        .astype("datetime64[us]")
        .astype(np.int64)
    )


def _datetimes(column: pa.Array) -> list[datetime]:
    """What Feast's conversion hands the store: ``pd.to_datetime`` of the column's numpy values,
    as plain datetimes."""
    stamps = pd.to_datetime(column.to_numpy(zero_copy_only=False))
    return [s.to_pydatetime() if isinstance(s, pd.Timestamp) else s for s in stamps]
