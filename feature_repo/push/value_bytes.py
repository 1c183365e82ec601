"""A few rows' Python values to serialized ``ValueProto`` bytes, a value at a time in Python.

``value_columns`` encodes a column with NumPy and Arrow, a fixed cost of ~0.1 ms per column that
a push of ~100 rows (a batch every 100 ms, ~40 columns in three views) pays ~40 times. Here each
value costs a few tenths of a microsecond and a column nothing more: a tag byte, then a varint
(int64, bool), 8 little-endian bytes (double) or a length and UTF-8 (string).

The bytes are those of ``values.converter`` (a ``ValueProto`` per value, Feast's conversion)
and of ``value_columns.encode_column`` on the Arrow column the push would build; where those
two differ, or for a value of an unexpected kind, a column is refused (``None``) and goes
through one of them instead:

- a column with a missing value and an integer beyond 2**53 (Arrow hands Feast such a column as
  float64, which rounds it);
- a missing Unix timestamp (``converter`` leaves it unset, Feast's column conversion writes the
  int64 minimum), or one before 1970 (whole seconds rounded apart);
- a string that is not a ``str``, a bool that is not a ``bool``, a number that is neither an
  ``int`` nor a ``float``.

``tests/test_value_bytes.py`` compares the bytes with both, nulls and NaNs included.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from feast.infra.online_stores.helpers import extract_text_and_num
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.value_type import ValueType

_MASK64 = (1 << 64) - 1
_EXACT_FLOAT_INT = 2**53  # integers a float64 holds exactly
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_SECOND = timedelta(seconds=1)
_DOUBLE = struct.Struct("<Bd").pack
_INT64, _DOUBLE_TAG, _STRING, _BOOL, _TIMESTAMP = 0x20, 0x29, 0x12, 0x38, 0x40  # Value.proto
_ONE_BYTE = [bytes((value,)) for value in range(0x80)]


def varint(value: int) -> bytes:
    """Protobuf's varint of an int64 (a negative one as its two's complement, 10 bytes)."""
    value &= _MASK64
    if value < 0x80:
        return _ONE_BYTE[value]
    out = bytearray()
    while value > 0x7F:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


_SMALL_INT64S = [bytes((_INT64, value)) for value in range(0x80)]


def _int64s(values: list) -> list[bytes] | None:
    if all(type(value) is int for value in values):  # the usual column: no conversion, no null
        small, tag = _SMALL_INT64S, _SMALL_INT64S[0][:1]
        return [small[v] if 0 <= v < 0x80 else tag + varint(v) for v in values]
    out, missing, widest = [], False, 0
    for value in values:
        if _missing(value):
            out.append(b"")
            missing = True
            continue
        if not isinstance(value, int | float):
            return None
        number = int(value)
        widest = max(widest, abs(number))
        out.append(_SMALL_INT64S[0][:1] + varint(number))
    return None if missing and widest > _EXACT_FLOAT_INT else out


def _doubles(values: list) -> list[bytes] | None:
    if all(
        type(value) is float for value in values
    ):  # NaN (the only float unequal to itself) unset
        return [_DOUBLE(_DOUBLE_TAG, v) if v == v else b"" for v in values]  # noqa: PLR0124
    out = []
    for value in values:
        if _missing(value):
            out.append(b"")
        elif isinstance(value, int | float):
            out.append(_DOUBLE(_DOUBLE_TAG, value))
        else:
            return None
    return out


def _each(values: list, kind: type, encode: Callable[[Any], bytes]) -> list[bytes] | None:
    """``encode`` of each value of exactly ``kind`` (``b""``: a missing one); ``None`` at the first
    value of another kind."""
    out = []
    for value in values:
        if type(value) is kind:
            out.append(encode(value))
        elif _missing(value):
            out.append(b"")
        else:
            return None
    return out


def _string_bytes(value: str) -> bytes:
    data = value.encode()
    return bytes((_STRING,)) + varint(len(data)) + data


def _strings(values: list) -> list[bytes] | None:
    made: dict[str, bytes] = {}  # a column repeats its few strings (delivery types, payments)

    def encode(value: str) -> bytes:
        found = made.get(value)
        if found is None:
            found = made[value] = _string_bytes(value)
        return found

    return _each(values, str, encode)


_BOOLS = {True: bytes((_BOOL, 1)), False: bytes((_BOOL, 0))}


def _bools(values: list) -> list[bytes] | None:
    return _each(values, bool, _BOOLS.__getitem__)


def _timestamps(values: list) -> list[bytes] | None:
    tag, out = bytes((_TIMESTAMP,)), []
    for value in values:
        if not isinstance(value, datetime):
            return None  # a missing one (or not a datetime): see the module's note
        if value.utcoffset() is None:
            value = value.replace(tzinfo=UTC)
        if value < _EPOCH:
            return None
        out.append(tag + varint((value - _EPOCH) // _SECOND))
    return out


_ENCODERS: dict[ValueType, Callable[[list], list[bytes] | None]] = {
    ValueType.INT64: _int64s,
    ValueType.DOUBLE: _doubles,
    ValueType.STRING: _strings,
    ValueType.BOOL: _bools,
    ValueType.UNIX_TIMESTAMP: _timestamps,
}


def serialized_scalars(value_type: ValueType, values: list) -> list[bytes] | None:
    """Each value's serialized ``ValueProto`` (``b""``: missing, unset), or ``None`` where this
    path leaves the column to the others (another type, or a case of the module's note)."""
    encode = _ENCODERS.get(value_type)
    return None if encode is None else encode(values)


def feast_texts(serialized: list[bytes]) -> list[str | None]:
    """The ``value_text`` Feast's SQLite store writes beside each value (``EncodedColumn``)."""
    return [extract_text_and_num(ValueProto.FromString(v), False)[0] for v in serialized]
