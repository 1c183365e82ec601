"""Redis and Redis Cluster online stores: bulk writes in Feast's layout, where they are, and their
errors in our words.

``BulkRedisOnlineStore`` writes what Feast's ``RedisOnlineStore`` writes (one hash per entity key,
``mmh3("view:feature")`` fields holding serialized ``ValueProto``s, ``_ts:view`` holding the event
time) with the same rule (a row no newer than the stored one is skipped), in pipelines of
``PIPELINE_ENTITIES`` entities: one round trip reads the stored event times of a part, one writes
it. Feast's own store queues the whole batch (124,500 entities at x10) in one pipeline. Redis
Cluster is served through Feast's ``redis_type: redis_cluster``: redis-py splits each pipeline by
node. A rerun after an interruption rewrites what is missing and skips what is already there.

    online_store:
      type: feature_repo.online.redis.BulkRedisOnlineStore
      redis_type: redis            # or redis_cluster
      connection_string: ${DELIVERY_FS_REDIS}
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, Literal

from feast import FeatureView, RepoConfig
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.helpers import _mmh3, compute_versioned_name
from feast.infra.online_stores.redis import RedisOnlineStore, RedisOnlineStoreConfig
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.utils import make_tzaware
from google.protobuf.timestamp_pb2 import Timestamp
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from feature_repo.online.errors import RERUN_HINT, OnlineStoreError, OnlineStoreUnavailableError

REDIS_TYPE = "feature_repo.online.redis.BulkRedisOnlineStore"
PIPELINE_ENTITIES = 2_000
Row = tuple[EntityKeyProto, dict[str, ValueProto], datetime, datetime | None]


class BulkRedisOnlineStoreConfig(RedisOnlineStoreConfig):
    """Feast's Redis settings (``redis_type``, ``connection_string``, ...), selected by this module's class."""

    type: Literal["feature_repo.online.redis.BulkRedisOnlineStore"] = REDIS_TYPE  # type: ignore[assignment]


class BulkRedisOnlineStore(RedisOnlineStore):
    """Feast's Redis online store whose batch write runs in pipelines of many entities."""

    def online_write_batch(
        self,
        config: RepoConfig,
        table: FeatureView,
        data: Sequence[Row],
        progress: Callable[[int], Any] | None,
    ) -> None:
        online = config.online_store
        client = self._get_client(online)
        view = compute_versioned_name(table, config.registry.enable_online_feature_view_versioning)
        fields = {feature.name: _mmh3(f"{view}:{feature.name}") for feature in table.features}
        ts_field = f"_ts:{view}".encode()
        suffix = config.project.encode("utf-8")
        version = config.entity_key_serialization_version
        latest: dict[bytes, int] = {}  # newest event time written so far per key (nanoseconds)
        for begin in range(0, len(data), PIPELINE_ENTITIES):
            part = data[begin : begin + PIPELINE_ENTITIES]
            keys = [
                serialize_entity_key(row[0], entity_key_serialization_version=version) + suffix
                for row in part
            ]
            with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hget(key, ts_field)
                stored = pipe.execute()
            with client.pipeline(transaction=False) as pipe:
                for key, before, (_, values, event_time, _) in zip(keys, stored, part, strict=True):
                    stamp = Timestamp()
                    stamp.FromDatetime(make_tzaware(event_time))
                    nanos = stamp.seconds * 1_000_000_000 + stamp.nanos
                    seen = max(_nanos(before), latest.get(key, 0))
                    if seen and nanos <= seen:
                        continue  # Feast's rule: a row no newer than the stored one is skipped
                    latest[key] = nanos
                    mapping = {ts_field: stamp.SerializeToString()}
                    for feature, value in values.items():
                        mapping[fields.get(feature) or _mmh3(f"{view}:{feature}")] = (
                            value.SerializeToString()
                        )
                    pipe.hset(key, mapping=mapping)
                    if online.key_ttl_seconds:
                        pipe.expire(key, online.key_ttl_seconds)
                pipe.execute()
            if progress:
                progress(len(part))


def _nanos(serialized: bytes | None) -> int:
    if not serialized:
        return 0
    stamp = Timestamp.FromString(serialized)
    return stamp.seconds * 1_000_000_000 + stamp.nanos


def redis_endpoints(online_config) -> str:
    """The ``host:port`` parts of the connection string (options such as a password left out)."""
    parts = str(online_config.connection_string).split(",")
    return ",".join(part for part in parts if "=" not in part)


def redis_where(online_config) -> str:
    kind = "Redis Cluster" if str(online_config.redis_type).endswith("cluster") else "Redis"
    return f"{kind} at {redis_endpoints(online_config)}"


@contextmanager
def redis_errors(online_config, hint: str = RERUN_HINT):
    where = redis_where(online_config)
    try:
        yield
    except (RedisConnectionError, RedisTimeoutError, RedisClusterException) as error:
        raise OnlineStoreUnavailableError(
            f"{where} (online store) is unreachable: {error}. Start it, or point "
            f"DELIVERY_FS_REDIS at a reachable server. {hint}"
        ) from error
    except ResponseError as error:
        raise OnlineStoreError(f"{where} (online store) refused a command: {error}.") from error
