"""The Feast and ibis internals that ``feature_repo.core.feast_internals`` reaches, pinned.

An upgrade that renames, moves or re-shapes one of them fails here, by name: each internal's
signature as recorded, the byte layouts the lean readers and bulk writers rely on (entity key,
Redis hash field and key, SQLite row, DynamoDB item) computed by hand from Feast's documented
layout, and no private Feast or ibis name used anywhere outside the seam.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import sqlite3
import struct
from datetime import UTC, datetime
from pathlib import Path

import mmh3
import pyarrow as pa
import pytest
from feast import Entity, FeatureView, Field, FileSource, RepoConfig
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value
from feast.types import Int64
from feast.value_type import ValueType

from feature_repo.core import feast_internals
from feature_repo.core.feast_internals import (
    OVERRIDDEN_HOOKS,
    PINNED,
    prepared_backend,
    redis_hash_field,
    redis_key,
    sqlite_connection,
    sqlite_db_path,
)

ROOT = Path(__file__).resolve().parents[1]
LIBRARIES = ("feast", "ibis")
# The classes whose underscored members no project module may reach but through the seam.
FEAST_AND_IBIS_CLASSES = (
    "feast.FeatureStore", "feast.infra.passthrough_provider.PassthroughProvider",
    "feast.infra.online_stores.redis.RedisOnlineStore",
    "feast.infra.online_stores.sqlite.SqliteOnlineStore",
    "feast.infra.online_stores.dynamodb.DynamoDBOnlineStore",
    "feast.infra.offline_stores.duckdb.DuckDBOfflineStore",
    "feast.infra.offline_stores.ibis.IbisRetrievalJob",
    "feast.infra.compute_engines.local.compute.LocalComputeEngine",
    "feast.infra.compute_engines.local.feature_builder.LocalFeatureBuilder",
    "ibis.expr.types.Table", "ibis.expr.types.Column", "ibis.backends.duckdb.Backend",
)  # fmt: skip

# Recorded from feast 0.67.0 and ibis 12.0.0: parameter names, kinds and defaults (annotations left
# out: they name classes of other libraries, and a call does not depend on them).
RECORDED = {
    "feast.infra.online_stores.helpers._mmh3": "(key)",
    "feast.infra.online_stores.helpers._redis_key": "(project, entity_key, entity_key_serialization_version=3)",
    "feast.utils._convert_arrow_to_proto": "(table, feature_view, join_keys)",
    "feast.utils._get_feature_views_to_use": "(registry, project, features, allow_cache=False, hide_dummy_entity=True)",
    "feast.infra.online_stores.dynamodb._latest_data_to_write": "(data)",
    "feast.infra.online_stores.dynamodb.DynamoDBOnlineStore._get_dynamodb_client": "(self, region, endpoint_url=None, session_based_auth=False)",
    "feast.infra.online_stores.dynamodb.DynamoDBOnlineStore._write_batch_non_duplicates": "(self, table_instance, data, progress, config)",
    "feast.infra.online_stores.redis.RedisOnlineStore._get_client": "(self, online_store_config)",
    "feast.infra.online_stores.sqlite.SqliteOnlineStore._get_conn": "(self, config)",
    "feast.infra.online_stores.sqlite.SqliteOnlineStore._get_db_path": "(config)",
    "feast.infra.offline_stores.duckdb._read_data_source": "(data_source, repo_path)",
    "feast.infra.offline_stores.duckdb._write_data_source": "(table, data_source, repo_path, mode='append', allow_overwrite=False)",
    "feast.infra.offline_stores.ibis.IbisRetrievalJob.__init__": "(self, table, on_demand_feature_views, full_feature_names, metadata, data_source_writer, staging_location, staging_location_endpoint_override, repo_path)",
    "feast.infra.offline_stores.ibis.IbisRetrievalJob._to_arrow_internal": "(self, timeout=None)",
    "feast.infra.compute_engines.local.feature_builder.LocalFeatureBuilder.__init__": "(self, registry, task, backend)",
    "feast.infra.compute_engines.local.feature_builder.LocalFeatureBuilder.get_column_info": "(self, view)",
    "feast.infra.compute_engines.local.compute.LocalComputeEngine._materialize_one": "(self, registry, task, **kwargs)",
    "ibis.backends.duckdb.Backend._run_pre_execute_hooks": "(self, expr)",
}  # fmt: skip

# (project class, Feast class) for each hook of OVERRIDDEN_HOOKS.
OVERRIDES = {
    "_materialize_one": ("feature_repo.online.batch_engine.StreamingComputeEngine",
                         "feast.infra.compute_engines.local.compute.LocalComputeEngine"),
    "_to_arrow_internal": ("feature_repo.offline.duckdb_store.TrainingRetrievalJob",
                           "feast.infra.offline_stores.ibis.IbisRetrievalJob"),
    "_write_batch_non_duplicates": ("feature_repo.online.dynamodb.BulkDynamoDBOnlineStore",
                                    "feast.infra.online_stores.dynamodb.DynamoDBOnlineStore"),
}  # fmt: skip

EVENT_TIME = datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC)
EVENT_SECONDS = 1_735_787_045  # 2025-01-01T00:00Z is 1_735_689_600; + 1 day 3 h 4 min 5 s
# Feast's entity key layout, version 3, all integers little-endian uint32: the number of join
# keys; per key (sorted by name) the type STRING (2), the name's length and the name; per value
# its ValueType (INT64 = 4), its length (8) and the value as a little-endian int64.
USER_42 = (
    b"\x01\x00\x00\x00"
    + b"\x02\x00\x00\x00" + b"\x07\x00\x00\x00" + b"user_id"
    + b"\x04\x00\x00\x00" + b"\x08\x00\x00\x00" + b"\x2a\x00\x00\x00\x00\x00\x00\x00"
)  # fmt: skip
SEVEN = b"\x20\x07"  # ValueProto int64_val (field 4, varint: tag 4 << 3 = 0x20) = 7


def _resolved(dotted: str):
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        try:
            found = importlib.import_module(".".join(parts[:end]))
            break
        except ImportError:
            continue
    for name in parts[end:]:
        found = getattr(found, name)
    return found


def _bare(signature: inspect.Signature) -> str:
    parameters = [p.replace(annotation=p.empty) for p in signature.parameters.values()]
    return str(signature.replace(parameters=parameters, return_annotation=signature.empty))


def test_every_internal_the_seam_reaches_has_a_recorded_signature():
    assert set(PINNED) == set(RECORDED)


@pytest.mark.parametrize("name", list(RECORDED))
def test_internal_keeps_its_recorded_signature(name):
    assert _bare(inspect.signature(_resolved(name))) == RECORDED[name], (
        f"{name} changed with the installed Feast/ibis: mend feature_repo/core/feast_internals.py"
    )


@pytest.mark.parametrize("hook", list(OVERRIDDEN_HOOKS))
def test_overridden_hook_exists_in_feast_with_the_overrides_parameters(hook):
    ours, feasts = (_resolved(name) for name in OVERRIDES[hook])
    assert hook in vars(ours), f"{ours.__name__} no longer overrides {hook}"
    base = getattr(feasts, hook, None)
    assert base is not None, f"{feasts.__name__}.{hook} is gone: the override is never called"
    assert _bare(inspect.signature(vars(ours)[hook])) == _bare(inspect.signature(base))


def _user(user_id: int) -> EntityKey:
    return EntityKey(join_keys=["user_id"], entity_values=[Value(int64_val=user_id)])


def test_entity_key_serialization_version_3_is_the_documented_layout():
    assert serialize_entity_key(_user(42), entity_key_serialization_version=3) == USER_42
    assert Value(int64_val=7).SerializeToString() == SEVEN


def test_entity_key_of_two_join_keys_is_sorted_by_name():
    key = EntityKey(
        join_keys=["user_id", "city"],
        entity_values=[Value(int64_val=42), Value(string_val="Oslo")],
    )
    city = b"\x02\x00\x00\x00" + b"\x04\x00\x00\x00" + b"city"
    user = b"\x02\x00\x00\x00" + b"\x07\x00\x00\x00" + b"user_id"
    oslo = b"\x02\x00\x00\x00" + b"\x04\x00\x00\x00" + b"Oslo"
    forty_two = b"\x04\x00\x00\x00" + b"\x08\x00\x00\x00" + struct.pack("<q", 42)
    expected = b"\x02\x00\x00\x00" + city + user + oslo + forty_two
    assert serialize_entity_key(key, entity_key_serialization_version=3) == expected


def _murmur3_32(data: bytes, seed: int = 0) -> int:
    """MurmurHash3 x86 32-bit, written out from its reference description (a second method)."""
    mask, c1, c2 = 0xFFFFFFFF, 0xCC9E2D51, 0x1B873593

    def rotl(x: int, r: int) -> int:
        return ((x << r) | (x >> (32 - r))) & mask

    h, whole = seed, len(data) // 4 * 4
    for i in range(0, whole, 4):
        k = rotl((int.from_bytes(data[i : i + 4], "little") * c1) & mask, 15) * c2 & mask
        h = (rotl(h ^ k, 13) * 5 + 0xE6546B64) & mask
    if tail := data[whole:]:
        h ^= rotl((int.from_bytes(tail, "little") * c1) & mask, 15) * c2 & mask
    h ^= len(data)
    h = ((h ^ (h >> 16)) * 0x85EBCA6B) & mask
    h = ((h ^ (h >> 13)) * 0xC2B2AE35) & mask
    return h ^ (h >> 16)


def test_murmur3_second_method_matches_the_published_test_vectors():
    assert _murmur3_32(b"") == 0
    assert _murmur3_32(b"", seed=1) == 0x514E28B7
    assert _murmur3_32(b"\x21\x43\x65\x87") == 0xF55B516B
    assert _murmur3_32(b"\x21\x43\x65") == 0x7E4A8634


@pytest.mark.parametrize("field", ["user_order_stats:order_count", "user_profile:age_years", "v:x"])
def test_redis_hash_field_is_murmur3_32_of_view_and_feature_little_endian(field):
    assert redis_hash_field(field) == struct.pack("<I", _murmur3_32(field.encode()))


def test_redis_key_is_the_serialized_entity_key_then_the_project():
    assert redis_key("delivery", _user(42), 3) == USER_42 + b"delivery"


def _view(name: str = "pin_view") -> tuple[Entity, FeatureView]:
    user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
    source = FileSource(path="unused.parquet", timestamp_field="event_timestamp")
    view = FeatureView(
        name=name, entities=[user], source=source,
        schema=[Field(name="user_id", dtype=Int64), Field(name="order_count", dtype=Int64)],
    )  # fmt: skip
    return user, view


def test_feasts_stock_sqlite_store_writes_the_row_the_lean_reader_reads(tmp_path):
    from feast.infra.online_stores.sqlite import SqliteOnlineStore

    config = RepoConfig(
        project="pin", provider="local", registry=str(tmp_path / "registry.db"),
        online_store={"type": "sqlite", "path": "online.db"}, repo_path=tmp_path,
        entity_key_serialization_version=3,
    )  # fmt: skip
    user, view = _view()
    store = SqliteOnlineStore()
    store.update(config, [], [view], [], [user], partial=False)
    row = (_user(42), {"order_count": Value(int64_val=7)}, EVENT_TIME, None)
    store.online_write_batch(config, view, [row], None)

    assert Path(sqlite_db_path(config)) == tmp_path / "online.db"
    connection = sqlite3.connect(tmp_path / "online.db")
    columns = [c[1] for c in connection.execute('PRAGMA table_info("pin_pin_view")')]
    read = ["entity_key", "feature_name", "value", "event_ts"]  # serving/readers/sqlite_reader.py
    written = ["value_text", "created_ts"]  # online/sqlite.py's upsert
    assert set(read + written) <= set(columns)
    stored = connection.execute(f"SELECT {', '.join(read)} FROM pin_pin_view").fetchall()
    assert stored == [(USER_42, "order_count", SEVEN, EVENT_SECONDS)]
    assert sqlite_connection(store, config).execute("SELECT count(*) FROM pin_pin_view").fetchone()
    store.teardown(config, [view], [user])


@pytest.mark.integration  # needs moto's server (DynamoDB over HTTP), left out of make test-fast
def test_feasts_stock_dynamodb_store_writes_the_item_the_lean_reader_reads(moto):
    from feast.infra.online_stores.dynamodb import DynamoDBOnlineStore

    from feature_repo.core.feast_internals import dynamodb_client

    config = RepoConfig(
        project="pin", provider="local", registry="unused.db",
        online_store={"type": "dynamodb", "region": "us-east-1", "endpoint_url": moto.url},
        entity_key_serialization_version=3,
    )  # fmt: skip
    user, view = _view("pin_dynamodb_view")
    store = DynamoDBOnlineStore()
    store.update(config, [], [view], [], [user], partial=False)
    try:
        row = (_user(42), {"order_count": Value(int64_val=7)}, EVENT_TIME, None)
        store.online_write_batch(config, view, [row], None)
        client = dynamodb_client(store, config.online_store)
        entity_id = mmh3.hash_bytes(USER_42).hex()  # serving/readers/dynamodb_reader.py's key
        item = client.get_item(
            TableName="pin.pin_dynamodb_view", Key={"entity_id": {"S": entity_id}}
        )["Item"]
    finally:
        store.teardown(config, [view], [user])
    assert set(item) == {"entity_id", "event_ts", "values"}
    assert datetime.fromisoformat(item["event_ts"]["S"]) == EVENT_TIME
    assert item["values"] == {"M": {"order_count": {"B": SEVEN}}}


def test_prepared_backend_runs_an_in_memory_tables_sql_on_duckdb_directly():
    import ibis

    table = ibis.memtable({"a": [3, 1, 2]}).order_by("a")
    backend = prepared_backend(table)
    reader = backend.con.sql(backend.compile(table)).to_arrow_reader(2)
    assert pa.Table.from_batches(list(reader)).column("a").to_pylist() == [1, 2, 3]


def _private_uses(path: Path, private_names: set[str]) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in LIBRARIES:
            found += [
                f"{path}:{node.lineno} imports {a.name}" for a in node.names if a.name[0] == "_"
            ]
        elif isinstance(node, ast.Attribute) and node.attr in private_names:
            hook_of_super = (
                node.attr in OVERRIDDEN_HOOKS
                and isinstance(node.value, ast.Call)
                and ast.unparse(node.value.func) == "super"
            )
            if not hook_of_super:
                found.append(f"{path}:{node.lineno} calls {node.attr}")
    return found


def test_no_private_feast_or_ibis_name_is_used_outside_the_seam():
    classes = [_resolved(name) for name in FEAST_AND_IBIS_CLASSES]
    private = {n for c in classes for n in dir(c) if n[0] == "_" and not n.endswith("__")}
    seam = Path(feast_internals.__file__).resolve()
    files = [
        path
        for folder in ("feature_repo", "tools/devtools", "tests")
        for path in sorted((ROOT / folder).rglob("*.py"))
        if path.resolve() not in (seam, Path(__file__).resolve())
    ]
    uses = [use for path in files for use in _private_uses(path, private)]
    assert uses == [], "reach these through feature_repo/core/feast_internals.py: " + "; ".join(
        uses
    )
