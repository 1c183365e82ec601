"""The store reader of a plan, chosen by the online store's backend.

A reader takes, for each view of the plan (by ``ViewPlan.key``), the serialized entity keys of the
requested rows, and returns for each view and row either ``None`` (no row) or a ``StoredRow``
(event time, the stored bytes of each feature read, in the view's order). It reads in Feast's layout, in one round trip per
store; it decodes nothing (``decoding`` does, for the values asked for).
"""

from __future__ import annotations

from feast import FeatureStore

from feature_repo.online.translation import online_backend
from feature_repo.serving.errors import ServingError
from feature_repo.serving.plan import ServicePlan
from feature_repo.serving.stored_rows import StoreReader


def store_reader(store: FeatureStore, plan: ServicePlan) -> StoreReader:
    backend = online_backend(store.config.online_store)
    if backend == "redis":
        from feature_repo.serving.readers.redis_reader import RedisReader

        return RedisReader(store, plan)
    if backend == "sqlite":
        from feature_repo.serving.readers.sqlite_reader import SqliteReader

        return SqliteReader(store, plan)
    if backend == "dynamodb":
        from feature_repo.serving.readers.dynamodb_reader import DynamoDBReader

        return DynamoDBReader(store, plan)
    raise ServingError(
        f"No lean reader for the {backend} online store: use SQLite, Redis, Redis Cluster or DynamoDB."
    )
