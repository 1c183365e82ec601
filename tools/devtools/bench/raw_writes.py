"""The raw writes that materialization is compared with: the same rows in the store's own layout
(one Redis hash per entity, one SQLite row per entity and feature), values as plain bytes, written
with pipelined redis-py HSETs or sqlite3 ``executemany``, into a key space of their own."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa
from feast import FeatureStore
from feast.infra.key_encoding_utils import serialize_entity_key

from devtools.bench.online_baselines import JOIN_KEY, _entity_key
from feature_repo.core.feast_internals import redis_hash_field, redis_key
from feature_repo.online.translation import online_backend

PIPELINE_ENTITIES = 2_000


def writer(store: FeatureStore) -> Callable[[object, pa.Table, str], int]:
    """A function writing one view's rows; it returns the number of entity rows written."""
    kind = online_backend(store.config.online_store)
    if kind == "redis":
        return _redis_writer(store)
    if kind == "sqlite":
        return _sqlite_writer(store)
    raise ValueError(f"no raw baseline for the {kind} online store")


def _columns(view, table: pa.Table, timestamp_field: str):
    names = [f.name for f in view.features]
    users = table.column(JOIN_KEY).to_pylist()
    values = [table.column(name).to_pylist() for name in names]
    stamps = table.column(timestamp_field).to_pylist()
    return names, users, values, stamps


def _redis_writer(store: FeatureStore):
    import redis

    config = store.config
    host, port = config.online_store.connection_string.split(",")[0].split(":")
    client = redis.Redis(host=host, port=int(port))
    project = f"{config.project}_raw"
    version = config.entity_key_serialization_version

    def write(view, table: pa.Table, timestamp_field: str) -> int:
        names, users, values, stamps = _columns(view, table, timestamp_field)
        fields = [redis_hash_field(f"{view.name}:{name}") for name in names]
        ts_field = f"_ts:{view.name}"
        pipe = client.pipeline(transaction=False)
        for row, user in enumerate(users):
            mapping = {
                field: str(column[row]).encode()
                for field, column in zip(fields, values, strict=True)
            }
            mapping[ts_field] = str(stamps[row]).encode()
            pipe.hset(redis_key(project, _entity_key(user), version), mapping=mapping)
            if row % PIPELINE_ENTITIES == PIPELINE_ENTITIES - 1:
                pipe.execute()
        pipe.execute()
        return len(users)

    return write


def _sqlite_writer(store: FeatureStore):
    path = Path(store.config.online_store.path).with_name("raw_online_store.db")
    connection = sqlite3.connect(str(path))
    version = store.config.entity_key_serialization_version

    def write(view, table: pa.Table, timestamp_field: str) -> int:
        names, users, values, stamps = _columns(view, table, timestamp_field)
        name = f"raw_{view.name}"
        connection.execute(
            f'CREATE TABLE IF NOT EXISTS "{name}" (entity_key BLOB, feature_name TEXT, '
            "value BLOB, event_ts timestamp, PRIMARY KEY(entity_key, feature_name))"
        )
        rows = []
        for row, user in enumerate(users):
            key = serialize_entity_key(_entity_key(user), version)
            stamp = str(stamps[row])
            rows += [
                (key, feature, str(column[row]).encode(), stamp)
                for feature, column in zip(names, values, strict=True)
            ]
        with connection:
            connection.executemany(f'INSERT OR REPLACE INTO "{name}" VALUES (?, ?, ?, ?)', rows)
        return len(users)

    return write
