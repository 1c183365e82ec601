"""Online rows from Redis or Redis Cluster: one pipelined ``HMGET`` per entity key, of every field
that the plan needs from that key's hash (all views with the same join keys share one hash).

Layout (Feast's): key ``serialized entity key + project``; field ``mmh3("view:feature")`` holds a
serialized ``ValueProto``; field ``_ts:view`` a serialized protobuf ``Timestamp``. A row whose
``_ts`` field is absent does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from feast import FeatureStore
from google.protobuf.timestamp_pb2 import Timestamp

from feature_repo.core.feast_internals import redis_client, redis_hash_field
from feature_repo.serving.plan import ServicePlan
from feature_repo.serving.stored_rows import StoredRow


class RedisReader:
    def __init__(self, store: FeatureStore, plan: ServicePlan) -> None:
        self.client = redis_client(store.provider.online_store, store.config.online_store)
        self.suffix = store.config.project.encode("utf-8")
        groups: dict[tuple[str, ...], list[int]] = {}
        for index, view in enumerate(plan.views):
            groups.setdefault(view.join_keys, []).append(index)
        self.groups = []  # (view indexes, fields, slices of each view: (features, ts position))
        for indexes in groups.values():
            fields: list[bytes] = []
            slices = []
            for index in indexes:
                view = plan.views[index]
                start = len(fields)
                fields += [redis_hash_field(f"{view.online_name}:{name}") for name in view.features]
                fields.append(f"_ts:{view.online_name}".encode())
                slices.append((start, len(fields) - 1))
            self.groups.append((indexes, fields, slices))
        self.view_count = len(plan.views)

    def read(self, keys: Sequence[list[bytes]]) -> list[list[StoredRow]]:
        commands = []
        for indexes, fields, _ in self.groups:
            commands += [(key + self.suffix, fields) for key in keys[indexes[0]]]
        if len(commands) == 1:
            replies = [self.client.hmget(*commands[0])]
        else:
            with self.client.pipeline(transaction=False) as pipe:
                for key, fields in commands:
                    pipe.hmget(key, fields)
                replies = pipe.execute()
        result: list[list[StoredRow]] = [[] for _ in range(self.view_count)]
        position = 0
        for indexes, _, slices in self.groups:
            count = len(keys[indexes[0]])
            for reply in replies[position : position + count]:
                for index, (start, ts_at) in zip(indexes, slices, strict=True):
                    stamp = reply[ts_at]
                    result[index].append(
                        None if stamp is None else (_instant(stamp), reply[start:ts_at])
                    )
            position += count
        return result


def _instant(serialized: bytes) -> datetime:
    stamp = Timestamp.FromString(serialized)
    return datetime.fromtimestamp(stamp.seconds + stamp.nanos / 1_000_000_000.0, tz=UTC)
