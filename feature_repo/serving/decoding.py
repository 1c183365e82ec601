"""Served values from stored bytes: one serialized ``ValueProto`` decoded only when it is asked
for, and the TTL rule of the offline join applied per (view, entity) row.

The Python value of a scalar is what Feast's ``feast_value_type_to_python_type`` returns (a
timestamp as an aware UTC datetime); other kinds (lists, maps, ...) go through that function.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.type_map import feast_value_type_to_python_type

NULL_TIMESTAMP = -9223372036854775808  # Feast's NULL_TIMESTAMP_INT_VALUE
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


@dataclass(frozen=True)
class FeatureValue:
    """One served value: ``None`` whenever the status is not PRESENT."""

    value: Any
    status: FeatureStatus
    event_time: datetime | None = None


NOT_FOUND = FeatureValue(None, FeatureStatus.NOT_FOUND)


def python_value(serialized: bytes | None) -> Any:
    """The Python value of a serialized ``ValueProto`` (``None`` when missing or unset)."""
    if not serialized:
        return None
    proto = ValueProto.FromString(serialized)
    kind = proto.WhichOneof("val")
    if kind is None:
        return None
    if kind in _SCALARS:
        return getattr(proto, kind)
    if kind == "unix_timestamp_val":
        seconds = proto.unix_timestamp_val
        return None if seconds == NULL_TIMESTAMP else datetime.fromtimestamp(seconds, tz=UTC)
    return feast_value_type_to_python_type(proto)


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
    served = []
    for serialized in values:
        value = python_value(serialized)
        served.append(
            null if value is None else FeatureValue(value, FeatureStatus.PRESENT, event_time)
        )
    return served
