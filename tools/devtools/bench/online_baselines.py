"""The raw reads that online lookups are compared with: the same keys, read with the store's own
client (redis-py, sqlite3) and nothing else (no decoding, no response building)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence

from feast import FeatureStore
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.helpers import compute_table_id
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value

from feature_repo.core.feast_internals import redis_hash_field, redis_key
from feature_repo.online.translation import online_backend

JOIN_KEY = "user_id"


def _entity_key(user_id: int) -> EntityKey:
    return EntityKey(join_keys=[JOIN_KEY], entity_values=[Value(int64_val=user_id)])


def raw_reader(
    store: FeatureStore, view_features: dict[str, Sequence[str]]
) -> Callable[[Sequence[int]], object]:
    """A function reading the rows of ``user_ids`` that a lookup of ``view_features`` reads."""
    config = store.config
    kind = online_backend(config.online_store)
    if kind == "redis":
        return _redis_reader(store, view_features)
    if kind == "sqlite":
        return _sqlite_reader(store, view_features)
    raise ValueError(f"no raw baseline for the {kind} online store")


def _redis_reader(store: FeatureStore, view_features: dict[str, Sequence[str]]):
    import redis

    config = store.config
    host, port = config.online_store.connection_string.split(",")[0].split(":")
    client = redis.Redis(host=host, port=int(port))
    fields = [
        redis_hash_field(f"{view}:{name}")
        for view, names in view_features.items()
        for name in names
    ]
    fields += [f"_ts:{view}".encode() for view in view_features]
    version = config.entity_key_serialization_version

    def read(user_ids: Sequence[int]) -> object:
        keys = [redis_key(config.project, _entity_key(u), version) for u in user_ids]
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hmget(key, fields)
            return pipe.execute()

    return read


def _sqlite_reader(store: FeatureStore, view_features: dict[str, Sequence[str]]):
    config = store.config
    path = store.repo_path / config.online_store.path
    connection = sqlite3.connect(str(path), check_same_thread=False)
    versioned = config.registry.enable_online_feature_view_versioning
    tables = [
        compute_table_id(config.project, store.get_feature_view(view), versioned)
        for view in view_features
    ]
    version = config.entity_key_serialization_version

    def read(user_ids: Sequence[int]) -> object:
        keys = [serialize_entity_key(_entity_key(u), version) for u in user_ids]
        marks = ",".join("?" * len(keys))
        return [
            connection.execute(
                f'SELECT entity_key, feature_name, value, event_ts FROM "{table}" '
                f"WHERE entity_key IN ({marks})",
                keys,
            ).fetchall()
            for table in tables
        ]

    return read
