"""Python values to and from Feast's ``ValueProto``, for the kinds the pushed views hold, as
``feast.type_map`` converts them (missing and NaN as an unset value, a datetime as whole Unix
seconds), without its per-value type inference: a push converts tens of thousands of values.
A test compares the bytes with Feast's own conversion.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from feast.protos.feast.types.Value_pb2 import Int64List, StringList
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.value_type import ValueType

UNSET = ValueProto()


def _seconds(value: datetime) -> int:
    if value.utcoffset() is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


SETTERS: dict[ValueType, Callable[[Any], ValueProto]] = {
    ValueType.INT64: lambda v: ValueProto(int64_val=int(v)),
    ValueType.DOUBLE: lambda v: ValueProto(double_val=float(v)),
    ValueType.STRING: lambda v: ValueProto(string_val=str(v)),
    ValueType.BOOL: lambda v: ValueProto(bool_val=bool(v)),
    ValueType.UNIX_TIMESTAMP: lambda v: ValueProto(unix_timestamp_val=_seconds(v)),
    ValueType.INT64_LIST: lambda v: ValueProto(int64_list_val=Int64List(val=[int(x) for x in v])),
    ValueType.STRING_LIST: lambda v: ValueProto(
        string_list_val=StringList(val=[str(x) for x in v])
    ),
}


def converter(value_type: ValueType) -> Callable[[Any], ValueProto]:
    """The conversion of one kind of value; missing values (None, NaN, NaT) become unset."""
    setter = SETTERS[value_type]

    def convert(value: Any) -> ValueProto:
        if value is None or (isinstance(value, float) and math.isnan(value)) or value is _NAT:
            return UNSET
        return setter(value)

    return convert


def serialized_lists(value_type: ValueType, values: list[list | None]) -> list[bytes]:
    """Lists of ints (``INT64_LIST``) or strings (``STRING_LIST``) as the bytes ``converter``
    gives, without converting each item again (a push writes ~1,000 ledgers of 7 lists)."""
    if value_type == ValueType.INT64_LIST:
        return [b"" if v is None else ValueProto(int64_list_val=Int64List(val=v)).SerializeToString() for v in values]  # fmt: skip
    return [b"" if v is None else ValueProto(string_list_val=StringList(val=v)).SerializeToString() for v in values]  # fmt: skip


def python_of(proto: ValueProto) -> Any:
    """The Python value of a ``ValueProto`` of those kinds (lists as lists; unset as None)."""
    kind = proto.WhichOneof("val")
    if kind is None:
        return None
    value = getattr(proto, kind)
    return list(value.val) if kind.endswith("_list_val") else value


def python_of_bytes(serialized: bytes | None) -> Any:
    """The Python value of a serialized ``ValueProto`` (``None`` or ``b""``: unset, as None)."""
    return python_of(ValueProto.FromString(serialized)) if serialized else None


def _nat() -> Any:
    import pandas as pd

    return pd.NaT


_NAT = _nat()
