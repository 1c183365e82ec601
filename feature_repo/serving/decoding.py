"""Served values from stored bytes: one serialized ``ValueProto`` decoded only when it is asked
for, and the TTL rule of the offline join applied per (view, entity) row.

The Python value of a scalar is what Feast's ``feast_value_type_to_python_type`` returns (a
timestamp as an aware UTC datetime); other kinds (lists, maps, ...) go through that function.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.type_map import feast_value_type_to_python_type

NULL_TIMESTAMP = -9223372036854775808  # Feast's NULL_TIMESTAMP_INT_VALUE
DECODED_KEPT = 100_000  # distinct scalar values remembered (then forgotten all at once)
_DECODED: dict[bytes, Any] = {}
_UNKNOWN = object()
_new_tuple = tuple.__new__  # a FeatureValue without its __new__'s Python frame
_SCALARS = frozenset(
    ("int64_val", "int32_val", "double_val", "float_val", "string_val", "bool_val", "bytes_val")
)


class FeatureStatus(StrEnum):
    """Why a value is what it is; the first four are Feast's own statuses."""

    PRESENT = "PRESENT"
    NULL_VALUE = "NULL_VALUE"  # the row exists, the value is missing (e.g. a mean over no order)
    NOT_FOUND = "NOT_FOUND"  # no row for this entity (an unknown user, or none materialized)
    OUTSIDE_MAX_AGE = "OUTSIDE_MAX_AGE"  # older than the view's TTL: missing, as offline
    NOT_YET_VALID = "NOT_YET_VALID"  # the stored row starts after the lookup instant


class FeatureValue(NamedTuple):
    """One served value: ``None`` whenever the status is not PRESENT (immutable; a named tuple,
    built several times per feature and request, costs a third of a frozen dataclass)."""

    value: Any
    status: FeatureStatus
    event_time: datetime | None = None


NOT_FOUND = FeatureValue(None, FeatureStatus.NOT_FOUND)


def python_value(serialized: bytes | None, lists_as_read: bool = False) -> Any:
    """The Python value of a serialized ``ValueProto`` (``None`` when missing or unset).

    Scalars are immutable and repeat (counts, categories), so they are kept by their bytes:
    a dictionary lookup instead of a protobuf parse. ``lists_as_read``: a list is the parsed
    protobuf's own repeated field, not converted to a list (read it, never change it): the lean
    reader reads ledgers this way.
    """
    if not serialized:
        return None
    known = _DECODED.get(serialized, _UNKNOWN)
    if known is not _UNKNOWN:
        return known
    return _parsed(serialized, ValueProto.FromString(serialized), lists_as_read)


def _parsed(serialized: bytes, proto: ValueProto, lists_as_read: bool) -> Any:
    kind = proto.WhichOneof("val")
    if kind in _SCALARS:
        value = getattr(proto, kind)
    elif kind == "unix_timestamp_val":
        seconds = proto.unix_timestamp_val
        value = None if seconds == NULL_TIMESTAMP else datetime.fromtimestamp(seconds, tz=UTC)
    elif kind is None:
        value = None
    elif lists_as_read and kind.endswith("_list_val"):
        return getattr(proto, kind).val  # mutable: never shared
    else:
        return feast_value_type_to_python_type(proto)  # mutable (lists, maps): never shared
    if len(_DECODED) >= DECODED_KEPT:
        _DECODED.clear()
    _DECODED[serialized] = value
    return value


def served_row(
    event_time: datetime | None,
    values: list[bytes | None] | None,
    ttl: timedelta | None,
    now: datetime,
) -> list[FeatureValue] | FeatureValue:
    """The served values of one (view, entity) row, or one shared FeatureValue for all its
    features when the row is missing, not yet valid or older than the TTL."""
    if values is None:
        return NOT_FOUND
    if event_time is not None and event_time > now:
        return FeatureValue(None, FeatureStatus.NOT_YET_VALID, event_time)
    if event_time is not None and ttl and event_time < now - ttl:
        return FeatureValue(None, FeatureStatus.OUTSIDE_MAX_AGE, event_time)
    null = FeatureValue(None, FeatureStatus.NULL_VALUE, event_time)
    present = FeatureStatus.PRESENT
    known = _DECODED.get  # python_value's cache read here: a function call less per value
    out: list[FeatureValue] = []
    append = out.append
    for serialized in values:
        value = known(serialized, _UNKNOWN) if serialized else None
        if value is _UNKNOWN:
            value = python_value(serialized)
        append(null if value is None else _new_tuple(FeatureValue, (value, present, event_time)))
    return out
