"""Column-at-a-time encoding against Feast's own per-value conversion: for every type and edge
case, the same serialized ``ValueProto`` bytes and the same ``value_text``; timestamps and entity
keys against protobuf's and Feast's functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pyarrow as pa
import pytest
from feast import Entity, FeatureView, Field, FileSource
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.helpers import extract_text_and_num
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value
from feast.type_map import python_values_to_proto_values
from feast.types import Float64, Int64, String
from feast.value_type import ValueType
from google.protobuf.timestamp_pb2 import Timestamp

from feature_repo.core.feast_internals import arrow_to_online_rows
from feature_repo.online.encoded_rows import encode_rows, entity_keys
from feature_repo.online.value_columns import encode_column, timestamp_messages

MICROS = pa.timestamp("us", tz="UTC")
CASES = {
    "int64 with nulls": (pa.array([1, -1, 0, 2**40, None, -(2**63), 127, 128, 300]), ValueType.INT64),
    "int64 extremes": (pa.array([-(2**63), 2**63 - 1, 5]), ValueType.INT64),
    "int64 from doubles": (pa.array([1.5, -2.7, None]), ValueType.INT64),
    "int64 all null": (pa.array([None, None], pa.int64()), ValueType.INT64),
    "double": (pa.array([1.5, -1.0, 0.0, -0.0, None, float("nan"), float("inf"), 1e300]), ValueType.DOUBLE),
    "double from int64": (pa.array([1, 2, None]), ValueType.DOUBLE),
    "string": (pa.array(["a", "", None, "é" * 100, "x" * 200]), ValueType.STRING),
    "string all null": (pa.array([None, None], pa.string()), ValueType.STRING),
    "bool with nulls": (pa.array([True, False, None]), ValueType.BOOL),
    "bool": (pa.array([True, False]), ValueType.BOOL),
    "timestamp": (pa.array([0, 10**12, None, -5 * 10**6, 1_600_000_000_123_456], MICROS), ValueType.UNIX_TIMESTAMP),
    "timestamp all null": (pa.array([None, None], MICROS), ValueType.UNIX_TIMESTAMP),
    "int64 lists": (pa.array([[1, 300, -1], [], [2**62, -(2**63)], [0]] * 2, pa.list_(pa.int64())), ValueType.INT64_LIST),
    "string lists": (pa.array([["a", "bc"], [], ["é" * 200, ""]] * 2, pa.list_(pa.string())), ValueType.STRING_LIST),
    "list with a null (Feast's path)": (pa.array([[1], None, [2, 3]], pa.list_(pa.int64())), ValueType.INT64_LIST),
    "int32 (Feast's path)": (pa.array([1, -1, None, 2**20]), ValueType.INT32),
    "float (Feast's path)": (pa.array([0.1, None], pa.float32()), ValueType.FLOAT),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_encoded_column_is_feasts_serialization(case):
    column, value_type = CASES[case]
    protos = python_values_to_proto_values(column.to_numpy(zero_copy_only=False), value_type)
    encoded = encode_column(pa.chunked_array([column[:2], column[2:]]), value_type)
    assert encoded.serialized == [p.SerializeToString() for p in protos]
    assert encoded.texts == [extract_text_and_num(p, False)[0] for p in protos]


@pytest.mark.parametrize("case", CASES)
def test_texts_are_made_once_however_often_a_writer_reads_them(case):
    # the SQLite writer reads ``texts[i]`` row by row: made on each read, a load of n rows made
    # n lists of n texts (a demo's backfill took minutes instead of a second)
    column, value_type = CASES[case]
    encoded = encode_column(column, value_type)
    assert encoded.texts is encoded.texts


def test_timestamp_messages_are_protobufs():
    instants = [datetime(1970, 1, 1, tzinfo=UTC), datetime(2020, 10, 30, 23, 59, 59, 999_999, tzinfo=UTC),
                datetime(2021, 1, 1, 0, 0, 1, tzinfo=UTC), datetime(1969, 12, 31, 23, 0, 0, 5, tzinfo=UTC)]  # fmt: skip
    micros = np.array([round((i - instants[0]) / timedelta(microseconds=1)) for i in instants])
    expected = []
    for instant in instants:
        stamp = Timestamp()
        stamp.FromDatetime(instant)
        expected.append(stamp.SerializeToString())
    assert timestamp_messages(micros) == expected


def test_encoded_rows_are_feasts_rows_serialized():
    user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
    source = FileSource(path="unused.parquet", timestamp_field="event_timestamp")
    view = FeatureView(
        name="v", entities=[user], source=source,
        schema=[Field(name="user_id", dtype=Int64), Field(name="n", dtype=Int64),
                Field(name="x", dtype=Float64), Field(name="s", dtype=String)],
    )  # fmt: skip
    batch = pa.RecordBatch.from_pydict({
        "user_id": pa.array([3, -7, 2**40]),
        "n": pa.array([1, None, 3]),
        "x": pa.array([0.5, float("nan"), None]),
        "s": pa.array(["a", None, ""]),
        "event_timestamp": pa.array([1_600_000_000_000_001, 0, 1_500_000_000_000_000], MICROS),
    })  # fmt: skip
    join_keys = {"user_id": ValueType.INT64}
    rows = encode_rows(batch, view, join_keys, 3)
    feast_rows = arrow_to_online_rows(batch, view, join_keys)
    assert rows.entity_keys == [serialize_entity_key(k, 3) for k, _, _, _ in feast_rows]
    for name, column in rows.features.items():
        assert column.serialized == [v[name].SerializeToString() for _, v, _, _ in feast_rows]
    assert rows.event_times == [t for _, _, t, _ in feast_rows]
    assert rows.created_times == [c for _, _, _, c in feast_rows]


def test_entity_keys_of_other_types_take_feasts_path():
    batch = pa.RecordBatch.from_pydict({"code": pa.array(["a", "bé"]), "n": pa.array([1, 2])})
    keys = entity_keys(batch, {"code": ValueType.STRING, "n": ValueType.INT64}, 3)
    expected = [
        EntityKey(join_keys=["code", "n"], entity_values=[Value(string_val=c), Value(int64_val=n)])
        for c, n in (("a", 1), ("bé", 2))
    ]
    assert keys == [serialize_entity_key(k, 3) for k in expected]
