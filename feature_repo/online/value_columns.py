"""Arrow columns to serialized ``ValueProto`` bytes, a whole column at a time.

Feast's materialization builds one ``ValueProto`` per value (``python_values_to_proto_values``) and
serializes it in the online store. For the scalar types of this repository the protobuf wire
format is short enough to write with numpy: a tag byte, then a varint (int64, bool, Unix
timestamp), 8 little-endian bytes (double) or a varint length and UTF-8 (string); a list of
int64 or strings is a length-delimited ``Int64List``/``StringList`` holding packed varints or
length-prefixed strings. The bytes are
Feast's, value for value, including its null rules, which this module copies:

- a null, and a NaN in a numeric column, is an empty ``ValueProto`` (``b""``);
- an Int64 column with nulls reaches Feast as float64, so its values go through ``int(float)``;
- a null Unix timestamp (NaT) is *not* empty: Feast stores ``int64`` minimum for it.

Any other type, or a column whose Arrow type is not the expected one, goes through Feast's own
conversion. ``tests/test_value_columns.py`` compares both, byte for byte.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from feast.infra.online_stores.helpers import extract_text_and_num
from feast.type_map import python_values_to_proto_values
from feast.value_type import ValueType

_VARINT, _FIXED64, _LENGTH = 0, 1, 2
_FIELDS = {  # Value.proto: (field number, wire type)
    ValueType.STRING: (2, _LENGTH),
    ValueType.INT64: (4, _VARINT),
    ValueType.DOUBLE: (5, _FIXED64),
    ValueType.BOOL: (7, _VARINT),
    ValueType.UNIX_TIMESTAMP: (8, _VARINT),
    ValueType.STRING_LIST: (12, _LENGTH),
    ValueType.INT64_LIST: (14, _LENGTH),
}
_LIST_ITEMS = 0x0A  # Int64List / StringList: field 1 (``val``), length-delimited


@dataclass(frozen=True)
class EncodedColumn:
    """One column of a view: each row's serialized ``ValueProto`` and the ``value_text`` Feast's
    SQLite store writes beside it (``None`` where it writes NULL), made only when a store asks for
    them (``texts``: only SQLite does)."""

    serialized: list[bytes]
    text_source: list[str | None] | Callable[[], list[str | None]]

    @cached_property
    def texts(self) -> list[str | None]:
        """Made once, on the first use (a writer reads them row by row)."""
        source = self.text_source
        return source() if callable(source) else source


def encode_column(column: pa.Array | pa.ChunkedArray, value_type: ValueType) -> EncodedColumn:
    """The column's values as Feast's materialization serializes them."""
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks()
    fast = _fast_path(column, value_type)
    return fast if fast is not None else _feast_path(column, value_type)


def _tag(value_type: ValueType) -> int:
    number, wire = _FIELDS[value_type]
    return number << 3 | wire


def _fast_path(column: pa.Array, value_type: ValueType) -> EncodedColumn | None:
    kind = column.type
    if value_type in (ValueType.INT64_LIST, ValueType.STRING_LIST):
        return _lists(column, value_type)
    if value_type == ValueType.STRING and (
        pa.types.is_string(kind) or pa.types.is_large_string(kind)
    ):
        return _strings(column)
    if value_type == ValueType.UNIX_TIMESTAMP and pa.types.is_timestamp(kind):
        values = column.to_numpy(zero_copy_only=False).astype("datetime64[s]").astype(np.int64)
        return EncodedColumn(_varints(_tag(value_type), values, np.ones(len(values), bool)),
                             [None] * len(values))  # fmt: skip
    if value_type == ValueType.BOOL and pa.types.is_boolean(kind):
        valid = _valid(column)
        values = column.fill_null(False).to_numpy(zero_copy_only=False).astype(np.int64)
        return EncodedColumn(
            _varints(_tag(value_type), values, valid),
            lambda: _texts(values.astype(bool).tolist(), valid),
        )
    if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)):
        return None
    numbers = np.asarray(column.to_numpy(zero_copy_only=False))  # float64 with NaN where null
    valid = ~np.isnan(numbers) if numbers.dtype.kind == "f" else _valid(column)
    if value_type == ValueType.INT64:
        values = np.where(valid, numbers, 0).astype(np.int64)  # int(x): truncated, as Feast's
        return EncodedColumn(
            _varints(_tag(value_type), values, valid), lambda: _texts(values.tolist(), valid)
        )
    if value_type == ValueType.DOUBLE and numbers.dtype in (np.float64, np.int64):
        doubles = numbers.astype(np.float64)
        return EncodedColumn(
            _doubles(_tag(value_type), doubles, valid), lambda: _texts(doubles.tolist(), valid)
        )
    return None


def _texts(values: list, valid: np.ndarray) -> list[str | None]:
    return [str(v) if ok else None for v, ok in zip(values, valid.tolist(), strict=True)]


def _valid(column: pa.Array) -> np.ndarray:
    return column.is_valid().to_numpy(zero_copy_only=False)


def _varint_matrix(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each value's varint (two's complement, as protobuf writes int64) in a row as wide as the
    longest (at most 10 bytes), and its length."""
    unsigned = values.astype(np.int64).view(np.uint64)
    width = _varint_size(int(unsigned.max())) if len(unsigned) else 1
    length = np.ones(len(values), np.int64)
    for k in range(1, width):
        length += unsigned >= np.uint64(1) << np.uint64(7 * k)
    body = np.empty((len(values), width), np.uint8)
    for k in range(width):
        group = (unsigned >> np.uint64(7 * k)) & np.uint64(0x7F)
        body[:, k] = group | ((length - 1 > k).astype(np.uint64) << np.uint64(7))
    return body, length


def _varint_size(value: int) -> int:
    """The bytes of the varint of a non-negative ``value`` (below 2**64)."""
    return max(1, (value.bit_length() + 6) // 7)


def _varints(tag: int, values: np.ndarray, valid: np.ndarray) -> list[bytes]:
    body, length = _varint_matrix(values)
    rows = np.concatenate([np.full((len(values), 1), tag, np.uint8), body], axis=1)
    return _binary(rows, np.where(valid, length + 1, 0))


def _doubles(tag: int, values: np.ndarray, valid: np.ndarray) -> list[bytes]:
    rows = np.empty((len(values), 9), np.uint8)
    rows[:, 0] = tag
    rows[:, 1:] = values.astype("<f8").view(np.uint8).reshape(-1, 8)
    return _binary(rows, np.where(valid, 9, 0))


def _strings(column: pa.Array) -> EncodedColumn:
    valid = _valid(column)
    sizes = pc.fill_null(pc.binary_length(column), 0).to_numpy(zero_copy_only=False)
    body, length = _varint_matrix(sizes)
    rows = np.concatenate(
        [np.full((len(sizes), 1), _tag(ValueType.STRING), np.uint8), body], axis=1
    )
    prefixes = _binary(rows, np.where(valid, length + 1, 0))
    texts = column.to_pylist()
    payloads = column.cast(pa.large_binary()).fill_null(b"").to_pylist()
    return EncodedColumn([p + s for p, s in zip(prefixes, payloads, strict=True)], texts)


def _lists(column: pa.Array, value_type: ValueType) -> EncodedColumn | None:
    """Lists without nulls (a null list or item takes Feast's path): each row's items encoded
    (packed varints, or tag + length + UTF-8 per string), wrapped in the list message and the
    ``ValueProto`` field."""
    item = pa.int64() if value_type == ValueType.INT64_LIST else pa.string()
    if not (pa.types.is_list(column.type) or pa.types.is_large_list(column.type)):
        return None
    if column.type.value_type != item or column.null_count or column.values.null_count:
        return None
    column = column.cast(pa.large_list(item))  # the offsets as int64, values sliced to the rows
    offsets = column.offsets.to_numpy(zero_copy_only=False)
    items = column.flatten()
    if value_type == ValueType.INT64_LIST:
        (rows,) = _int64_list_rows(offsets - offsets[0], [items.to_numpy(zero_copy_only=False)])
        return EncodedColumn(rows, [None] * len(rows))
    sizes = pc.binary_length(items).to_numpy(zero_copy_only=False).astype(np.int64)
    heads = _varints(_LIST_ITEMS, sizes, np.ones(len(sizes), bool))
    payloads = items.cast(pa.large_binary()).to_pylist()
    joined = b"".join(b"".join(pair) for pair in zip(heads, payloads, strict=True))
    item_bytes = np.frombuffer(joined, np.uint8)
    length = sizes + np.array([len(h) for h in heads], np.int64)
    rows = _rows_of_items(offsets - offsets[0], item_bytes, length)
    outer = _varints(_tag(value_type), _payload_sizes(rows), np.ones(len(rows), bool))
    return EncodedColumn([h + r for h, r in zip(outer, rows, strict=True)], [None] * len(rows))


def encode_int64_lists(columns: list[pa.Array]) -> list[EncodedColumn] | None:
    """Int64 list columns of the same rows, with the same offsets (a ledger's columns), encoded
    together: each column's items as varints, then the rows of all of them at once (one call of
    each NumPy step instead of one per column); ``None`` for other columns (``encode_column``)."""
    first = columns[0]
    for column in columns:
        if not (pa.types.is_list(column.type) or pa.types.is_large_list(column.type)):
            return None
        if column.type.value_type != pa.int64() or column.null_count or column.values.null_count:
            return None
        if not column.offsets.equals(first.offsets) or column.offset != first.offset:
            return None
    offsets = first.offsets.to_numpy(zero_copy_only=False).astype(np.int64)
    begin, end = int(offsets[0]), int(offsets[-1])
    items = [column.values.to_numpy(zero_copy_only=False)[begin:end] for column in columns]
    rows = _int64_list_rows(offsets - begin, items)
    return [EncodedColumn(column, [None] * len(column)) for column in rows]


def _int64_list_rows(offsets: np.ndarray, columns: list[np.ndarray]) -> list[list[bytes]]:
    """Per column of items (row ``i``: ``items[offsets[i]:offsets[i + 1]]``), each row's
    serialized ``ValueProto`` holding the packed ``Int64List``."""
    item_bytes, lengths = [], []
    for items in columns:
        body, length = _varint_matrix(items)
        item_bytes.append(body[np.arange(body.shape[1]) < length[:, None]])
        lengths.append(length)
    total, rows = len(offsets) - 1, int(offsets[-1])
    starts = np.concatenate([offsets[:-1] + rows * k for k in range(len(columns))])
    packed = _rows_of_items(
        np.append(starts, rows * len(columns)),
        np.ascontiguousarray(np.concatenate(item_bytes)),
        np.concatenate(lengths),
    )
    payload = _payload_sizes(packed)
    heads = _varints(_LIST_ITEMS, payload, payload > 0)  # one packed field, left out when empty
    payload += np.array([len(head) for head in heads], np.int64)
    outer = _varints(_tag(ValueType.INT64_LIST), payload, np.ones(len(payload), bool))
    values = [a + b + c for a, b, c in zip(outer, heads, packed, strict=True)]
    return [values[k * total : (k + 1) * total] for k in range(len(columns))]


def _rows_of_items(offsets: np.ndarray, item_bytes: np.ndarray, length: np.ndarray) -> list[bytes]:
    """Each row's items' bytes joined (item ``j`` is ``length[j]`` bytes of ``item_bytes``)."""
    ends = np.concatenate([[0], np.cumsum(length)]).astype(np.int64)[offsets]
    array = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(ends) - 1, [None, pa.py_buffer(ends), pa.py_buffer(item_bytes)]
    )
    return array.to_pylist()


def _payload_sizes(rows: list[bytes]) -> np.ndarray:
    return np.fromiter(map(len, rows), np.int64, len(rows))


def _binary(rows: np.ndarray, lengths: np.ndarray) -> list[bytes]:
    """The first ``lengths[i]`` bytes of each row of ``rows``, as one ``bytes`` per row."""
    keep = np.arange(rows.shape[1]) < lengths[:, None]
    data = np.ascontiguousarray(rows[keep])
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    array = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), len(lengths), [None, pa.py_buffer(offsets), pa.py_buffer(data)]
    )
    return array.to_pylist()


def timestamp_messages(micros: np.ndarray) -> list[bytes]:
    """Serialized ``google.protobuf.Timestamp``s of instants in microseconds since the epoch, as
    ``Timestamp.FromDatetime`` makes them (fields equal to zero left out)."""
    seconds, rest = np.divmod(micros.astype(np.int64), 1_000_000)
    parts = []
    for tag, values in ((0x08, seconds), (0x10, rest * 1000)):
        body, length = _varint_matrix(values)
        rows = np.concatenate([np.full((len(values), 1), tag, np.uint8), body], axis=1)
        parts.append(_binary(rows, np.where(values != 0, length + 1, 0)))
    return [a + b for a, b in zip(*parts, strict=True)]


def _feast_path(column: pa.Array, value_type: ValueType) -> EncodedColumn:
    protos = python_values_to_proto_values(column.to_numpy(zero_copy_only=False), value_type)
    return EncodedColumn(
        [proto.SerializeToString() for proto in protos],
        [extract_text_and_num(proto, False)[0] for proto in protos],
    )
