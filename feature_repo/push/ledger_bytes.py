"""The ledgers of a push's users from their stored bytes, a column of all users at a time instead
of a ``ValueProto`` per value (a push reads and writes ~1,000 ledgers of 7 lists), and back.

Reading: each integer list column of all users is parsed by protobuf in one call. Serialized
messages laid end to end parse as one message in which repeated fields are concatenated, so the
column's ``Value``s joined give every user's items in order; each user's share is counted from
its own bytes (a packed ``Int64List`` holds one varint per item, and a varint ends at its only
byte below 0x80). Bytes of any other layout (or lists of unequal lengths) go through the
general decoding (``python_of_bytes``, ``ledger_from_columns``), which says what is wrong. The
integer scalars' varints are read with NumPy. The part's ledgers come laid end to end
(``decoded_run``: a ``LedgerRun``, no list per ledger), or as ledgers (``decoded_ledgers``).

Writing: the integer lists as Arrow list arrays, serialized a column at a time by
``value_columns`` to the bytes a ``ValueProto`` per list gives.
``tests/test_ledger_bytes.py`` compares both directions with the general path.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import chain
from typing import Any

import numpy as np
import pyarrow as pa
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from google.protobuf.message import DecodeError

from feature_repo.push.values import python_of_bytes
from feature_repo.transforms.ledger_stats_columns import INT_COLUMNS, LedgerRun
from feature_repo.transforms.order_ledger import ORDER_COLUMNS, OrderLedger, ledger_from_columns

_INT64_LIST, _STRING_LIST, _ITEMS = 0x72, 0x62, 0x0A  # Value fields 14 and 12; the lists' field 1
_INT64 = 0x20  # Value field 4, a varint
_HEADER_ENDS = 4  # varint ends before a list's items: Value tag, its length, list tag, its length


def decoded_ledgers(
    rows: Sequence[Sequence[bytes | None] | None], names: Sequence[str]
) -> list[OrderLedger | None]:
    """Per stored row (its fields' bytes in ``names`` order; ``None``: no row), the ledger."""
    stored = [row for row in rows if row is not None]
    fields = {name: [row[i] or b"" for row in stored] for i, name in enumerate(names)}
    run = _decoded(fields, len(stored))
    ledgers = iter(_decoded_one_by_one(fields, len(stored)) if run is None else ledgers_of_run(run))
    return [None if row is None else next(ledgers) for row in rows]


def decoded_run(
    rows: Sequence[Sequence[bytes | None] | None], names: Sequence[str]
) -> LedgerRun | None:
    """The ledgers of the stored rows (``None``: no row, left out) laid end to end, without a
    list per ledger; ``None`` when a column is not laid out as expected (``decoded_ledgers``
    then takes the general decoding)."""
    stored = [row for row in rows if row is not None]
    fields = {name: [row[i] or b"" for row in stored] for i, name in enumerate(names)}
    return _decoded(fields, len(stored))


def ledgers_of_run(run: LedgerRun) -> list[OrderLedger]:
    """The run's ledgers, each with lists of its own."""
    bounds = run.offsets.tolist()
    columns = [run.columns[name].tolist() for name in INT_COLUMNS] + [run.delivery_types]
    return [
        OrderLedger.of_columns(
            run.registered_at_us[i],
            [column[bounds[i] : bounds[i + 1]] for column in columns],
            run.lifetime_order_count[i],
            run.last_order_at_us[i],
        )
        for i in range(len(run))
    ]


def _decoded(fields: dict[str, list[bytes]], rows: int) -> LedgerRun | None:
    """The ledgers laid end to end, a column at a time; ``None`` when a column is not laid out
    as expected."""
    counts, columns = None, {}
    for name in INT_COLUMNS:
        split = _int_lists(fields[name])
        if split is None or (counts is not None and not np.array_equal(split[0], counts)):
            return None
        counts, columns[name] = split
    types = [ValueProto.FromString(v).string_list_val.val for v in fields[ORDER_COLUMNS[-1]]]
    if counts is None or [len(t) for t in types] != counts.tolist():
        return None
    scalars = {
        name: _int64_values(fields[name]) or [python_of_bytes(v) for v in fields[name]]
        for name in ("lifetime_order_count", "last_order_at_us", "registered_at_us")
    }
    return LedgerRun(
        np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), columns,
        list(chain.from_iterable(types)),
        [int(lifetime or 0) for lifetime in scalars["lifetime_order_count"]],
        [None if last is None else int(last) for last in scalars["last_order_at_us"]],
        [None if at is None else int(at) for at in scalars["registered_at_us"]],
    )  # fmt: skip


def _int_lists(values: list[bytes]) -> tuple[np.ndarray, np.ndarray] | None:
    """Each serialized ``INT64_LIST`` value's item count (an empty value: no items), and the
    items of all laid end to end."""
    joined = b"".join(values)
    try:
        items = ValueProto.FromString(joined).int64_list_val.val
    except DecodeError:
        return None
    data = np.frombuffer(joined, np.uint8)
    sizes = np.fromiter(map(len, values), np.int64, len(values))
    ends = np.cumsum(sizes)
    starts = ends - sizes
    listed = sizes > 2  # b"\x72\x00": an empty list; b"": unset
    if not (data[starts[sizes > 0]] == _INT64_LIST).all():
        return None
    position = starts[listed] + 1  # the Value's length varint, then the list's field tag
    try:
        while (more := data[position] >= 0x80).any():
            position = position + more
        if not (data[position + 1] == _ITEMS).all():
            return None
    except IndexError:  # a varint running past the bytes
        return None
    # int32: much faster from booleans than int64 (a part's bytes are far fewer than 2**31)
    varint_ends = np.concatenate([[0], np.cumsum(data < 0x80, dtype=np.int32)]).astype(np.int64)
    counts = np.zeros(len(values), np.int64)
    counts[listed] = varint_ends[ends[listed]] - varint_ends[starts[listed]] - _HEADER_ENDS
    if (counts < 0).any() or int(counts.sum()) != len(items):
        return None
    return counts, np.array(items, np.int64)  # protobuf's (upb) container: read at once


def _int64_values(values: list[bytes]) -> list[int | None] | None:
    """Each serialized ``INT64`` value's integer (``b""``: unset, None), as ``python_of_bytes``
    gives it, its varint read with NumPy; ``None`` when a value is laid out otherwise (empty
    list included: the general decoding then reads them)."""
    sizes = np.fromiter(map(len, values), np.int64, len(values))
    if not len(values) or ((sizes == 1) | (sizes > 11)).any():
        return None
    data = np.frombuffer(b"".join(values), np.uint8)
    starts, present = np.cumsum(sizes) - sizes, sizes > 0
    if not (data[starts[present]] == _INT64).all():
        return None
    widths, numbers = sizes - 1, np.zeros(len(values), np.uint64)  # the varints' bytes
    for k in range(int(widths.max())):
        has = widths > k
        byte = data[starts[has] + 1 + k]
        if ((byte >= 0x80) == (widths[has] == k + 1)).any() or (k == 9 and (byte > 1).any()):
            return None  # a varint going on where it ends (or past 64 bits), or ending early
        numbers[has] |= (byte & 0x7F).astype(np.uint64) << np.uint64(7 * k)
    decoded = numbers.view(np.int64).tolist()
    return [n if ok else None for n, ok in zip(decoded, present.tolist(), strict=True)]


def _decoded_one_by_one(fields: dict[str, list[bytes]], rows: int) -> list[OrderLedger]:
    names = list(fields)
    return [decoded_ledger([fields[name][i] for name in names], names) for i in range(rows)]


def decoded_ledger(row: Sequence[bytes | None], names: Sequence[str]) -> OrderLedger:
    """One stored row's ledger, a ``ValueProto`` per value (the general decoding)."""
    return ledger_from_columns(
        {name: python_of_bytes(v) for name, v in zip(names, row, strict=True)}
    )


def run_fields(run: LedgerRun) -> dict[str, Any]:
    """``ledger_fields`` of the run's ledgers, without the ledgers: each one's delivery types
    sliced from the run's."""
    bounds = run.offsets.tolist()
    types = run.delivery_types
    fields = _int_fields(run)
    fields[ORDER_COLUMNS[-1]] = [types[bounds[i] : bounds[i + 1]] for i in range(len(run))]
    fields["lifetime_order_count"] = list(run.lifetime_order_count)
    fields["last_order_at_us"] = list(run.last_order_at_us)
    fields["registered_at_us"] = list(run.registered_at_us)
    return fields


def _int_fields(run: LedgerRun) -> dict[str, Any]:
    offsets = pa.array(run.offsets, pa.int64())
    return {
        name: pa.LargeListArray.from_arrays(offsets, pa.array(run.columns[name], pa.int64()))
        for name in INT_COLUMNS
    }


def ledger_fields(ledgers: Sequence[OrderLedger], run: LedgerRun) -> dict[str, Any]:
    """The ledgers' view fields as columns: the integer lists as Arrow list arrays of their
    columns laid end to end (``run``, of the same ledgers), which ``value_columns`` serializes a
    column at a time; the delivery types as the ledgers' own lists (not to be changed), serialized
    a list at a time (faster for strings); the scalars as lists."""
    fields = _int_fields(run)
    fields[ORDER_COLUMNS[-1]] = [ledger.columns[-1] for ledger in ledgers]
    fields["lifetime_order_count"] = [ledger.lifetime_order_count for ledger in ledgers]
    fields["last_order_at_us"] = [ledger.last_order_at_us for ledger in ledgers]
    fields["registered_at_us"] = [ledger.registered_at_us for ledger in ledgers]
    return fields
