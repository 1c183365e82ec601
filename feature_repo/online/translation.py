"""One entry point for the online store's failures: ``online_store_errors(store)`` wraps any call that
reaches the online store (materialize, a lookup), and the backend's client errors (sqlite3, redis-py,
botocore) come out as an ``OnlineStoreError``, or its ``OnlineStoreUnavailableError`` when the store
cannot be reached at all or its tables were never created.
"""

from __future__ import annotations

from contextlib import contextmanager

from feast import FeatureStore

from feature_repo.online.errors import RERUN_HINT


@contextmanager
def online_store_errors(store: FeatureStore, hint: str = RERUN_HINT):
    """Turn the client errors of the store's online backend into an ``OnlineStoreError``;
    ``hint`` ends the message (what to do once the store is back)."""
    online_config = store.config.online_store
    with _translator(online_backend(online_config))(online_config, hint):
        yield


def online_backend(online_config) -> str:
    """``sqlite``, ``redis`` or ``dynamodb`` for Feast's stores and their subclasses; else the type."""
    from feast.infra.online_stores.sqlite import SqliteOnlineStoreConfig

    if isinstance(online_config, SqliteOnlineStoreConfig):
        return "sqlite"
    try:
        from feast.infra.online_stores.redis import RedisOnlineStoreConfig

        if isinstance(online_config, RedisOnlineStoreConfig):
            return "redis"
    except ImportError:  # the redis extra
        pass
    try:
        from feast.infra.online_stores.dynamodb import DynamoDBOnlineStoreConfig

        if isinstance(online_config, DynamoDBOnlineStoreConfig):
            return "dynamodb"
    except ImportError:  # the aws extra
        pass
    return str(getattr(online_config, "type", "unknown"))


def _translator(backend: str):
    if backend == "redis":
        from feature_repo.online.redis import redis_errors

        return redis_errors
    if backend == "dynamodb":
        from feature_repo.online.dynamodb import dynamodb_errors

        return dynamodb_errors
    from feature_repo.online.sqlite import sqlite_errors

    return sqlite_errors
