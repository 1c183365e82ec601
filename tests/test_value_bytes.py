"""The value-at-a-time encoding of a few rows (``value_bytes``) against the two paths it stands in
for, byte for byte: ``values.converter`` (a ``ValueProto`` per value, Feast's conversion) and
``value_columns.encode_column`` on the Arrow column the push builds; it refuses a column exactly
where those two differ (random columns, nulls and NaNs included, a few values and many). The
int64 lists of a ledger encoded together (``encode_int64_lists``) against ``encode_column`` and
Feast's own conversion."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from feast.infra.online_stores.helpers import extract_text_and_num
from feast.type_map import python_values_to_proto_values
from feast.value_type import ValueType
from hypothesis import given, settings
from hypothesis import strategies as st

from feature_repo.online.value_columns import encode_column, encode_int64_lists
from feature_repo.push.online_writes import ARROW_TYPES
from feature_repo.push.value_bytes import feast_texts, serialized_scalars
from feature_repo.push.values import converter

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MISSING = st.sampled_from([None, math.nan])
INSTANTS = st.datetimes(
    min_value=datetime(1960, 1, 1), max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, None]),
)  # fmt: skip
VALUES = {
    ValueType.INT64: st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(-300, 300), MISSING),
    ValueType.DOUBLE: st.one_of(st.floats(), st.integers(-(2**40), 2**40), MISSING),
    ValueType.STRING: st.one_of(st.text(max_size=150), st.sampled_from(["Thai", "Sushi"]), MISSING),
    ValueType.BOOL: st.one_of(st.booleans(), MISSING),
    ValueType.UNIX_TIMESTAMP: st.one_of(INSTANTS, st.none()),
}


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _refused(value_type: ValueType, values: list) -> bool:
    """Where ``converter`` and the column path differ (the module's note), worked out apart."""
    present = [v for v in values if not _missing(v)]
    if value_type == ValueType.INT64:
        return len(present) < len(values) and any(abs(v) > 2**53 for v in present)
    if value_type == ValueType.UNIX_TIMESTAMP:
        return any(v is None or v.replace(tzinfo=v.tzinfo or UTC) < EPOCH for v in values)
    return False


def _check(value_type: ValueType, values: list) -> None:
    ours = serialized_scalars(value_type, values)
    if _refused(value_type, values):
        assert ours is None
        return
    protos = [converter(value_type)(v) for v in values]
    assert ours == [p.SerializeToString() for p in protos]
    column = encode_column(pa.array(values, ARROW_TYPES[value_type], from_pandas=True), value_type)
    assert ours == column.serialized
    assert feast_texts(ours) == column.texts == [extract_text_and_num(p, False)[0] for p in protos]


@pytest.mark.parametrize("value_type", list(VALUES))
@settings(max_examples=150, deadline=None)
@given(data=st.data())
def test_a_few_values_are_the_protos_and_the_columns_bytes(value_type, data):
    _check(value_type, data.draw(st.lists(VALUES[value_type], min_size=1, max_size=40)))


@pytest.mark.parametrize("value_type", list(VALUES))
@settings(max_examples=10, deadline=None)
@given(data=st.data())
def test_many_values_are_the_protos_and_the_columns_bytes(value_type, data):
    _check(value_type, data.draw(st.lists(VALUES[value_type], min_size=400, max_size=700)))


def test_edge_values_by_hand():
    assert serialized_scalars(ValueType.INT64, [0, -1, 300, None]) == [
        b"\x20\x00", b"\x20" + b"\xff" * 9 + b"\x01", b"\x20\xac\x02", b"",
    ]  # fmt: skip
    assert serialized_scalars(ValueType.DOUBLE, [1.0, math.nan]) == [b"\x29" + bytes(6) + b"\xf0\x3f", b""]  # fmt: skip
    assert serialized_scalars(ValueType.STRING, ["é", None]) == [b"\x12\x02\xc3\xa9", b""]
    assert serialized_scalars(ValueType.BOOL, [False]) == [b"\x38\x00"]
    assert serialized_scalars(ValueType.UNIX_TIMESTAMP, [EPOCH + timedelta(seconds=300, microseconds=999_999)]) == [b"\x40\xac\x02"]  # fmt: skip


@pytest.mark.parametrize(
    ("value_type", "values"),
    [
        (ValueType.INT64, [None, 2**60]),  # Arrow hands Feast a float64 column: rounded
        (ValueType.UNIX_TIMESTAMP, [None]),  # unset by converter, int64 minimum by the column
        (ValueType.UNIX_TIMESTAMP, [datetime(1969, 12, 31, 23, 59, 59, 500_000, tzinfo=UTC)]),
        (ValueType.STRING, [3]),
        (ValueType.BOOL, [1]),
        (ValueType.DOUBLE, ["1.5"]),
        (ValueType.INT32, [1]),
    ],
)
def test_refused_columns(value_type, values):
    assert serialized_scalars(value_type, values) is None


LISTS = st.lists(
    st.lists(st.one_of(st.integers(-(2**63), 2**63 - 1), st.integers(0, 300)), max_size=12),
    min_size=1, max_size=30,
)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(
    first=LISTS, columns=st.integers(1, 4), seed=st.integers(0, 2**32 - 1), cut=st.integers(0, 3)
)
def test_int64_lists_encoded_together_are_each_columns_bytes(first, columns, seed, cut):
    rng = np.random.default_rng(seed)
    sizes = [len(row) for row in first]
    rows = [first] + [
        [rng.integers(-(2**40), 2**40, size, endpoint=True).tolist() for size in sizes]
        for _ in range(columns - 1)
    ]
    offsets = pa.array(np.concatenate([[0], np.cumsum(sizes)]), pa.int64())
    arrays = [
        pa.LargeListArray.from_arrays(offsets, pa.array([v for row in column for v in row], pa.int64()))
        for column in rows
    ]  # fmt: skip
    cut = min(cut, len(first) - 1)
    arrays = [array[cut:] for array in arrays]  # a slice: offsets not starting at zero
    together = encode_int64_lists(arrays)
    for array, column, encoded in zip(arrays, rows, together, strict=True):
        feasts = python_values_to_proto_values(column[cut:], ValueType.INT64_LIST)
        assert encoded.serialized == [p.SerializeToString() for p in feasts]
        assert encoded.serialized == encode_column(array, ValueType.INT64_LIST).serialized
        assert encoded.texts == [None] * len(array)


def test_int64_lists_of_other_offsets_or_with_nulls_are_left_to_each_column():
    one = pa.array([[1, 2], [3]], pa.large_list(pa.int64()))
    assert encode_int64_lists([one, pa.array([[1], [2, 3]], pa.large_list(pa.int64()))]) is None
    assert encode_int64_lists([one, pa.array([[1, None], [3]], pa.large_list(pa.int64()))]) is None
    assert encode_int64_lists([one, pa.array([["a", "b"], ["c"]])]) is None
