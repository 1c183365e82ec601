"""Online store failures, translated once per backend: each names the store at fault and what to do.

``online_store_errors(store)`` wraps any call that reaches the online store (materialize, a
lookup); the backend's client errors (sqlite3, redis-py, botocore) come out as an
``OnlineStoreError``, or its ``OnlineStoreUnavailableError`` when the store cannot be reached at
all or its tables were never created.
"""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

from feast import FeatureStore

from feature_repo.errors import FeatureStoreError

RERUN_HINT = "The command is safe to rerun once it is reachable."


class OnlineStoreError(FeatureStoreError):
    """The online store could not be reached or refused the work."""


class OnlineStoreUnavailableError(OnlineStoreError):
    """The online store cannot be reached (or was never created)."""


class MaterializationCheckError(OnlineStoreError):
    """A materialization reported success but the online store does not hold what it loaded."""


@contextmanager
def online_store_errors(store: FeatureStore):
    """Turn the client errors of the store's online backend into an ``OnlineStoreError``."""
    online_config = store.config.online_store
    with _translator(online_config.type)(online_config):
        yield


def describe_online_store(online_config) -> str:
    """The online store as an operator finds it: type and endpoint or path."""
    kind = getattr(online_config, "type", "online store")
    for attribute in ("path", "connection_string", "endpoint_url", "region"):
        where = getattr(online_config, attribute, None)
        if where:
            return f"{kind} online store at {where}"
    return f"{kind} online store"


@contextmanager
def sqlite_errors(online_config):
    try:
        yield
    except sqlite3.OperationalError as error:
        raise OnlineStoreUnavailableError(
            f"Cannot read the {describe_online_store(online_config)}: {error}. Check that the file "
            "exists, and that `feast apply` and `feast materialize` have run against it."
        ) from error


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
