"""Online store failures, translated: each names the endpoint at fault and what to do."""

from __future__ import annotations

from contextlib import contextmanager, nullcontext

from feast import FeatureStore

from feature_repo.pipeline.errors import PipelineError

RERUN_HINT = "The command is safe to rerun once it is reachable."


class OnlineStoreError(PipelineError):
    """The online store could not be reached or refused the work."""


class MaterializationCheckError(OnlineStoreError):
    """A materialization reported success but the online store does not hold what it loaded."""


@contextmanager
def online_store_errors(store: FeatureStore):
    """Turn the client errors of the store's online backend into an ``OnlineStoreError``."""
    online_config = store.config.online_store
    with _translator(online_config.type)(online_config):
        yield


def _translator(kind: str):
    if kind == "redis":
        from feature_repo.online.redis import redis_errors

        return redis_errors
    if kind == "dynamodb":
        from feature_repo.online.dynamodb import dynamodb_errors

        return dynamodb_errors
    return lambda _config: nullcontext()
