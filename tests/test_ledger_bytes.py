"""The push's column-at-a-time decoding of stored ledgers equals the general decoding (a
``ValueProto`` per value), and bytes of another layout take the general path."""

from __future__ import annotations

import pyarrow as pa
import pytest
from feast.protos.feast.types.Value_pb2 import Int64List
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.value_type import ValueType
from hypothesis import given, settings
from hypothesis import strategies as st

from feature_repo.online.value_columns import encode_column
from feature_repo.push.ledger_bytes import decoded_ledgers, ledger_fields
from feature_repo.push.values import converter, python_of_bytes, serialized_lists
from feature_repo.transforms.ledger_stats_columns import LedgerRun
from feature_repo.transforms.order_ledger import (
    ORDER_COLUMNS,
    Order,
    OrderLedger,
    ledger_from_columns,
)

NAMES = [*ORDER_COLUMNS, "lifetime_order_count", "last_order_at_us", "registered_at_us"]
KINDS = {name: ValueType.INT64_LIST for name in ORDER_COLUMNS[:-1]} | {
    ORDER_COLUMNS[-1]: ValueType.STRING_LIST,
    "lifetime_order_count": ValueType.INT64,
    "last_order_at_us": ValueType.INT64,
    "registered_at_us": ValueType.INT64,
}
INT64 = st.integers(-(2**63), 2**63 - 1)
ORDERS = st.builds(
    Order, INT64, INT64, INT64, INT64, INT64, INT64, st.sampled_from(["Pizza", "", "Sushi ☃"])
)


def _stored(ledger: OrderLedger | None) -> list[bytes] | None:
    """The row's fields as a store holds them (one ``ValueProto`` per value)."""
    if ledger is None:
        return None
    values = [
        *ledger.columns,
        ledger.lifetime_order_count,
        ledger.last_order_at_us,
        ledger.registered_at_us,
    ]
    return [
        converter(KINDS[name])(v).SerializeToString() for name, v in zip(NAMES, values, strict=True)
    ]


def _general(row: list[bytes | None] | None) -> OrderLedger | None:
    if row is None:
        return None
    return ledger_from_columns(
        {name: python_of_bytes(v) for name, v in zip(NAMES, row, strict=True)}
    )


LEDGERS = st.builds(
    lambda orders, lifetime, last, registered: OrderLedger.of_columns(
        registered, [list(c) for c in zip(*orders, strict=True)] if orders else [[]] * 7, lifetime, last
    ),
    st.lists(ORDERS, max_size=8), st.integers(0, 10**6), st.none() | INT64, st.none() | INT64,
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(ledgers=st.lists(st.none() | LEDGERS, max_size=6))
def test_decoded_a_column_at_a_time_equals_one_value_at_a_time(ledgers):
    rows = [_stored(ledger) for ledger in ledgers]
    assert decoded_ledgers(rows, NAMES) == [_general(row) for row in rows] == ledgers


@settings(max_examples=100, deadline=None)
@given(ledgers=st.lists(LEDGERS, max_size=6))
def test_fields_written_serialize_to_a_value_proto_per_list(ledgers):
    fields = ledger_fields(ledgers, LedgerRun.of(ledgers))
    for name in ORDER_COLUMNS:
        column = fields[name]
        encoded = (
            encode_column(column, KINDS[name]).serialized
            if isinstance(column, pa.Array)
            else serialized_lists(KINDS[name], column)
        )
        assert encoded == [_stored(ledger)[NAMES.index(name)] for ledger in ledgers]
    for name in NAMES[len(ORDER_COLUMNS) :]:
        assert fields[name] == [getattr(ledger, name) for ledger in ledgers]


def test_unset_lists_are_empty_and_unset_scalars_missing():
    row = [b""] * 7 + [b"", None, ValueProto(int64_val=5).SerializeToString()]
    (ledger,) = decoded_ledgers([row], NAMES)
    assert ledger == OrderLedger.of_columns(5, [[] for _ in range(7)], 0, None)


def test_unpacked_lists_take_the_general_path():
    ledger = OrderLedger.of_columns(1, [[7, 300]] * 6 + [["Pizza", "Sushi"]], 2, 300)
    row = _stored(ledger)
    # the same list with each item as its own field (valid protobuf, but not what protobuf writes)
    unpacked = bytes([0x08, 7, 0x08, 0xAC, 0x02])
    row[0] = bytes([0x72, len(unpacked)]) + unpacked
    assert Int64List.FromString(unpacked).val == [7, 300]
    assert decoded_ledgers([row, _stored(ledger)], NAMES) == [ledger, ledger]


def test_columns_of_unequal_lengths_are_refused_as_the_general_path_refuses_them():
    ledger = OrderLedger.of_columns(1, [[7, 300]] * 6 + [["Pizza", "Sushi"]], 2, 300)
    row = _stored(ledger)
    row[2] = converter(ValueType.INT64_LIST)([1]).SerializeToString()
    with pytest.raises(ValueError, match="differ in length"):
        _general(row)
    with pytest.raises(ValueError, match="differ in length"):
        decoded_ledgers([row], NAMES)
