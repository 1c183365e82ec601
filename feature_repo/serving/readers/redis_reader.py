"""Online rows from Redis or Redis Cluster: one pipelined ``HMGET`` per entity key, of every field
that the plan needs from that key's hash (all views with the same join keys share one hash).

Layout (Feast's): key ``serialized entity key + project``; field ``mmh3("view:feature")`` holds a
serialized ``ValueProto``; field ``_ts:view`` a serialized protobuf ``Timestamp``. A row whose
``_ts`` field is absent does not exist.

Many entities of one hash (a batch of users) are read in one server-side script call on a plain
Redis (``online.redis_script_reader``: redis-py spends several microseconds on each pipelined
command; the script's reply is the ``HMGET``s' replies); a cluster, and views of several join
keys, read through the pipeline.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from feast import FeatureStore
from google.protobuf.timestamp_pb2 import Timestamp

from feature_repo.core.feast_internals import redis_client, redis_hash_field
from feature_repo.online.redis_script_reader import ScriptedHashReader
from feature_repo.serving.plan import ServicePlan, ViewPlan
from feature_repo.serving.stored_rows import KeysByView, RowsByView, StoredRow


class RedisReader:
    def __init__(self, store: FeatureStore, plan: ServicePlan) -> None:
        self.client = redis_client(store.provider.online_store, store.config.online_store)
        self.suffix = store.config.project.encode("utf-8")
        cluster = str(store.config.online_store.redis_type).endswith("cluster")
        self.script = None if cluster else ScriptedHashReader(self.client)
        groups: dict[tuple[str, ...], list[ViewPlan]] = {}
        for view in plan.views:
            groups.setdefault(view.join_keys, []).append(view)
        self.groups: list[_HashRead] = []
        for views in groups.values():
            fields: list[bytes] = []
            slices = {}
            for view in views:
                start = len(fields)
                fields += [redis_hash_field(f"{view.online_name}:{name}") for name in view.features]
                fields.append(f"_ts:{view.online_name}".encode())
                slices[view.key] = (start, len(fields) - 1)
            self.groups.append(_HashRead(views[0].key, fields, slices))

    def read(self, keys: KeysByView) -> RowsByView:
        commands = []
        for group in self.groups:
            commands += [(key + self.suffix, group.fields) for key in keys[group.keys_of]]
        if len(commands) == 1:
            replies = [self.client.hmget(*commands[0])]
        elif self.script is not None and len(self.groups) == 1:  # one hash per entity
            replies = self.script.read([key for key, _ in commands], self.groups[0].fields)
        else:
            with self.client.pipeline(transaction=False) as pipe:
                for key, fields in commands:
                    pipe.hmget(key, fields)
                replies = pipe.execute()
        result: RowsByView = {}
        position = 0
        for group in self.groups:
            count = len(keys[group.keys_of])
            group_replies = replies[position : position + count]
            for view_key, (start, ts_at) in group.slices.items():
                result[view_key] = [
                    None
                    if reply[ts_at] is None
                    else StoredRow(_instant(reply[ts_at]), reply[start:ts_at])
                    for reply in group_replies
                ]
            position += count
        return result


@dataclass(frozen=True)
class _HashRead:
    """One HMGET per entity of every field the views sharing these join keys need (one hash)."""

    keys_of: str  # the key of a view whose entity keys are this group's
    fields: list[bytes]
    slices: dict[str, tuple[int, int]]  # by view key: its first field and its ``_ts`` field


def _instant(serialized: bytes) -> datetime:
    stamp = Timestamp.FromString(serialized)
    return datetime.fromtimestamp(stamp.seconds + stamp.nanos / 1_000_000_000.0, tz=UTC)
