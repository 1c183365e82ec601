"""One entry point for the online store's failures: ``online_store_errors(store)`` wraps any call that
reaches the online store (materialize, a lookup), and the backend's client errors (sqlite3, redis-py,
botocore) come out as an ``OnlineStoreError``, or its ``OnlineStoreUnavailableError`` when the store
cannot be reached at all or its tables were never created.
"""

from __future__ import annotations

from contextlib import contextmanager

from feast import FeatureStore

from feature_repo.online.errors import sqlite_errors


@contextmanager
def online_store_errors(store: FeatureStore):
    """Turn the client errors of the store's online backend into an ``OnlineStoreError``."""
    online_config = store.config.online_store
    with _translator(online_config.type)(online_config):
        yield


def _translator(kind: str):
    """By the store's type: Feast's name (``redis``) or the dotted path of a class built on it."""
    kind = kind.lower()
    if "redis" in kind:
        from feature_repo.online.redis import redis_errors

        return redis_errors
    if "dynamodb" in kind:
        from feature_repo.online.dynamodb import dynamodb_errors

        return dynamodb_errors
    return sqlite_errors
