"""Entity keys in Feast's serialized layout (``serialize_entity_key``, version 3), built from the
caller's plain values without a protobuf per key.

Layout: the number of join keys, then each key name (sorted) as ``STRING, length, utf-8``, then
each value as ``type, length, bytes`` (little-endian). The join-key part is the same for every
entity of a view, so it is encoded once; a test compares the result with Feast's own function.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from feast.protos.feast.types.Value_pb2 import ValueType as ValueTypeCode
from feast.value_type import ValueType

_UINT = struct.Struct("<I")
_PACKERS: dict[ValueType, tuple[int, Callable[[Any], bytes]]] = {
    ValueType.INT64: (ValueTypeCode.INT64, struct.Struct("<q").pack),
    ValueType.INT32: (ValueTypeCode.INT32, struct.Struct("<i").pack),
    ValueType.STRING: (ValueTypeCode.STRING, lambda value: value.encode("utf8")),
    ValueType.BYTES: (ValueTypeCode.BYTES, bytes),
    ValueType.UNIX_TIMESTAMP: (ValueTypeCode.UNIX_TIMESTAMP, struct.Struct("<q").pack),
}


class EntityKeyEncoder:
    """Serializes the entity key of one set of join keys, as Feast's online stores do."""

    def __init__(self, join_keys: Sequence[str], value_types: Mapping[str, ValueType]) -> None:
        self.join_keys = tuple(sorted(join_keys))
        unsupported = [k for k in self.join_keys if value_types[k] not in _PACKERS]
        if unsupported:
            raise ValueError(f"join keys of unsupported types for online reads: {unsupported}")
        head = [_UINT.pack(len(self.join_keys))]
        for key in self.join_keys:
            name = key.encode("utf8")
            head += [_UINT.pack(ValueTypeCode.STRING), _UINT.pack(len(name)), name]
        self.prefix = b"".join(head)
        self._values = [(key, *_PACKERS[value_types[key]]) for key in self.join_keys]

    def encode(self, row: Mapping[str, Any]) -> bytes:
        parts = [self.prefix]
        for key, code, pack in self._values:
            data = pack(row[key])
            parts += [_UINT.pack(code), _UINT.pack(len(data)), data]
        return b"".join(parts)
