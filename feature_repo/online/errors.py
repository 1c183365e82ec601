"""Online store failures, translated once per backend: each names the store at fault and what to do.

``online_store_errors(store)`` wraps a materialization (``OnlineStoreError``, with the rerun hint);
the serving module passes its own error class and hint (``OnlineStoreUnavailableError``).
"""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

from feature_repo.pipeline.errors import PipelineError

RERUN_HINT = "The command is safe to rerun once it is reachable."


class OnlineStoreError(PipelineError):
    """The online store could not be reached or refused the work."""


class MaterializationCheckError(OnlineStoreError):
    """A materialization reported success but the online store does not hold what it loaded."""


@contextmanager
def online_store_errors(
    store, error_class: type[Exception] = OnlineStoreError, hint: str = RERUN_HINT
):
    """Turn the client errors of the store's online backend into ``error_class`` naming the store."""
    online_config = store.config.online_store
    with _translator(online_config)(online_config, error_class, hint):
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
    except ImportError:
        pass
    try:
        from feast.infra.online_stores.dynamodb import DynamoDBOnlineStoreConfig

        if isinstance(online_config, DynamoDBOnlineStoreConfig):
            return "dynamodb"
    except ImportError:
        pass
    return str(getattr(online_config, "type", "unknown"))


def _translator(online_config):
    backend = online_backend(online_config)
    if backend == "redis":
        from feature_repo.online.redis import redis_errors

        return redis_errors
    if backend == "dynamodb":
        from feature_repo.online.dynamodb import dynamodb_errors

        return dynamodb_errors
    if backend == "sqlite":
        from feature_repo.online.sqlite import sqlite_errors

        return sqlite_errors
    return lambda _config, _error_class, _hint: nullcontext()
