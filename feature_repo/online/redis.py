"""Redis and Redis Cluster online stores: bulk writes in Feast's layout, where they are, and their
errors in our words.

``BulkRedisOnlineStore`` writes what Feast's ``RedisOnlineStore`` writes (one hash per entity key,
``mmh3("view:feature")`` fields holding serialized ``ValueProto``s, ``_ts:view`` holding the event
time) with the same rule (a row no newer than the stored one is skipped), in pipelines of
``PIPELINE_ENTITIES`` entities: one round trip reads the stored event times of a part, one writes
it. Feast's own store queues the whole batch (124,500 entities at x10) in one pipeline.
``bulk_load`` writes the streaming engine's batches (already encoded) the same way. Redis
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
from datetime import UTC, datetime
from itertools import chain
from typing import Any, Literal

from feast import FeatureView, RepoConfig
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.helpers import compute_versioned_name
from feast.infra.online_stores.redis import RedisOnlineStore, RedisOnlineStoreConfig
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.utils import make_tzaware
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import field_validator
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisClusterException, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from feature_repo.core.feast_internals import redis_client, redis_hash_field
from feature_repo.online.encoded_rows import BulkWriter, EncodedRows
from feature_repo.online.errors import RERUN_HINT, OnlineStoreError, OnlineStoreUnavailableError
from feature_repo.online.redis_script_reader import ScriptedHashReader
from feature_repo.online.redis_script_writer import ScriptedHashWriter
from feature_repo.online.value_columns import timestamp_messages

REDIS_TYPE = "feature_repo.online.redis.BulkRedisOnlineStore"
PIPELINE_ENTITIES = 2_000
Row = tuple[EntityKeyProto, dict[str, ValueProto], datetime, datetime | None]


class BulkRedisOnlineStoreConfig(RedisOnlineStoreConfig):
    """Feast's Redis settings (``redis_type``, ``connection_string``, ...), selected by this module's class.

    Feast's ``skip_dedup: true`` is refused: it lets an older row overwrite a newer one, which the
    bulk and push paths here never do (their newer-row check runs inside Redis, in the same round
    trip, so skipping it would save little), and Feast 0.67 honours it on its asynchronous path
    only. A setting that would hold on one path and not on another is an error, not a surprise."""

    type: Literal["feature_repo.online.redis.BulkRedisOnlineStore"] = REDIS_TYPE  # type: ignore[assignment]

    @field_validator("skip_dedup")
    @classmethod
    def _keeps_the_newer_row_rule(cls, value: bool) -> bool:
        if value:
            raise ValueError(
                "skip_dedup: true is not supported by feature_repo.online.redis.BulkRedisOnlineStore "
                "(it keeps Feast's rule that an older row never overwrites a newer one on every "
                "path): remove the setting, or use `type: redis` (Feast's own class) to skip the check"
            )
        return value


class BulkRedisOnlineStore(RedisOnlineStore):
    """Feast's Redis online store whose batch write runs in pipelines of many entities."""

    small_bulk_loads = True  # ``bulk_load`` opens nothing: a push of a few rows writes through it

    def online_write_batch(
        self,
        config: RepoConfig,
        table: FeatureView,
        data: Sequence[Row],
        progress: Callable[[int], Any] | None,
    ) -> None:
        writer = _HashWriter(redis_client(self, config.online_store), config, table)
        version = config.entity_key_serialization_version
        for begin in range(0, len(data), PIPELINE_ENTITIES):
            part = data[begin : begin + PIPELINE_ENTITIES]
            keys = [
                serialize_entity_key(row[0], entity_key_serialization_version=version)
                for row in part
            ]
            fields = [
                list(chain.from_iterable(
                    (writer.field(f), v.SerializeToString()) for f, v in row[1].items()
                ))
                for row in part
            ]  # fmt: skip
            writer.write(keys, [row[2] for row in part], fields)
            if progress:
                progress(len(part))

    @contextmanager
    def bulk_load(self, config: RepoConfig, table: FeatureView):
        """A writer of encoded batches of ``table`` (the streaming engine's) with Feast's
        newer-row rule: through a server-side script on a plain Redis (``redis_script_writer``),
        in pipelines of ``PIPELINE_ENTITIES`` entities on a cluster."""
        client = redis_client(self, config.online_store)
        writer = _HashWriter(client, config, table)
        scripted = None
        if not str(config.online_store.redis_type).endswith("cluster"):
            scripted = ScriptedHashWriter(client, writer.ts_field, writer.key_ttl)

        def prepare(rows: EncodedRows) -> tuple[Callable, list]:
            names = [writer.field(name) for name in rows.features]
            values = [column.serialized for column in rows.features.values()]
            if scripted and (rows.event_micros >= 0).all():
                keys = [key + writer.suffix for key in rows.entity_keys]
                stamps = timestamp_messages(rows.event_micros)
                return scripted.send, scripted.calls(keys, rows.event_micros, stamps, names, values)
            parts = []
            for begin in range(0, len(rows), PIPELINE_ENTITIES):
                end = begin + PIPELINE_ENTITIES
                fields = [
                    list(chain.from_iterable(zip(names, row, strict=True)))
                    for row in zip(*(column[begin:end] for column in values), strict=True)
                ]
                parts.append((rows.entity_keys[begin:end], rows.event_times[begin:end], fields))
            return (lambda parts: [writer.write(*part) for part in parts]), parts

        yield BulkWriter(prepare, lambda prepared: prepared[0](prepared[1]))

    def online_read_serialized(
        self,
        config: RepoConfig,
        table: FeatureView,
        entity_keys: Sequence[EntityKeyProto],
        requested_features: Sequence[str],
    ) -> list[tuple[datetime, list[bytes | None]] | None]:
        """What ``online_read`` reads (in one script call; on a cluster, one pipelined ``HMGET``
        per entity), left serialized: per entity, the event time as Feast reads it and each
        requested feature's stored bytes (``None`` or ``b""``: unset), or ``None`` where no value
        is set (Feast's unset values). A push decodes only what it needs, without a
        ``ValueProto`` dict per entity."""
        version = config.entity_key_serialization_version
        keys = [
            serialize_entity_key(key, entity_key_serialization_version=version)
            for key in entity_keys
        ]
        return self.online_read_serialized_keys(config, table, keys, requested_features)

    def online_read_serialized_keys(
        self,
        config: RepoConfig,
        table: FeatureView,
        entity_keys: Sequence[bytes],
        requested_features: Sequence[str],
    ) -> list[tuple[datetime, list[bytes | None]] | None]:
        """``online_read_serialized`` of entity keys already serialized (``serialize_entity_key``)."""
        reader = _HashWriter(None, config, table)
        fields = [reader.field(name) for name in requested_features] + [reader.ts_field]
        client = redis_client(self, config.online_store)
        keys = [key + reader.suffix for key in entity_keys]
        if not str(config.online_store.redis_type).endswith("cluster"):
            replies = ScriptedHashReader(client).read(keys, fields)
        else:
            with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.hmget(key, fields)
                replies = pipe.execute()
        rows: list[tuple[datetime, list[bytes | None]] | None] = []
        for reply in replies:
            values = reply[:-1]
            rows.append((_event_time(reply[-1]), values) if any(values) else None)
        return rows


class _HashWriter:
    """Writes entities of one view into their hashes: ``write`` reads the stored event times of a
    part in one round trip, then sets the newer rows in a second one."""

    def __init__(self, client, config: RepoConfig, table: FeatureView) -> None:
        self.client = client
        self.view = compute_versioned_name(
            table, config.registry.enable_online_feature_view_versioning
        )
        self.fields = {f.name: redis_hash_field(f"{self.view}:{f.name}") for f in table.features}
        self.ts_field = f"_ts:{self.view}".encode()
        self.suffix = config.project.encode("utf-8")
        self.key_ttl = config.online_store.key_ttl_seconds
        self.latest: dict[bytes, int] = {}  # newest event time written so far per key (ns)

    def field(self, feature: str) -> bytes:
        return self.fields.get(feature) or redis_hash_field(f"{self.view}:{feature}")

    def write(
        self, entity_keys: list[bytes], event_times: list[datetime], fields: list[list]
    ) -> None:
        keys = [key + self.suffix for key in entity_keys]
        with self.client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.hget(key, self.ts_field)
            stored = pipe.execute()
        with self.client.pipeline(transaction=False) as pipe:
            for key, before, event_time, pairs in zip(
                keys, stored, event_times, fields, strict=True
            ):
                stamp = Timestamp()
                stamp.FromDatetime(make_tzaware(event_time))
                nanos = stamp.seconds * 1_000_000_000 + stamp.nanos
                seen = max(_nanos(before), self.latest.get(key, 0))
                if seen and nanos <= seen:
                    continue  # Feast's rule: a row no newer than the stored one is skipped
                self.latest[key] = nanos
                pipe.execute_command("HSET", key, self.ts_field, stamp.SerializeToString(), *pairs)
                if self.key_ttl:
                    pipe.expire(key, self.key_ttl)
            pipe.execute()


def _event_time(serialized: bytes | None) -> datetime:
    """A stored ``_ts`` field as Feast's ``online_read`` reads it (the epoch when absent)."""
    stamp = Timestamp.FromString(serialized) if serialized else Timestamp()
    return datetime.fromtimestamp(stamp.seconds + stamp.nanos / 1_000_000_000.0, tz=UTC)


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
