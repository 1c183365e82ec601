"""Online at scale: the online store of the run's largest size (x100 with ``--scale-max 100``)
against the same measurements on a size ten times smaller, in the same run.

For each size and each of Redis and SQLite: a fresh store (Redis: a server of its own, so that its
memory is this store's alone) loaded as the online backfill loads it (the main service's views,
then the order ledger), the lean reader's lookups of 1 and 100 users (on SQLite after reading the
file once: at x100 it is 10.9 GB, and a cold page cache is the disk's figure, not the reader's), the
store's size per user, then the rows counted by the raw writer.
Figures: materialization rows/s at least the smaller size's and peak memory <= 1 GB; lookups within
1.2x of the smaller size's (p50 and p99); Redis memory and SQLite file size per user, reported with
what would shrink them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from devtools.bench.report import Figure
from devtools.bench.runner import Bench
from devtools.bench.serving_figures import MEMORY_LIMIT_MB, online_lookup

LOOKUP_LIMIT = 1.2  # x the smaller size's p50 and p99
COMPACT_VALUE_BYTES = (
    1024  # hash-max-listpack-value tried for the per-user figure's "what would shrink it"
)
SPARE_DB = 15  # where sampled hashes are rewritten to measure them compact
PROFILES = ("redis", "sqlite")
# What the per-user figures are made of, and what would shrink them with Feast's layout kept.
SHRINK = {
    "redis": "One hash per user holds every view's fields (4-byte mmh3 field names, serialized "
    "ValueProtos, a protobuf timestamp per view). A hash stays in Redis' compact listpack "
    "encoding while it has at most hash-max-listpack-entries fields of at most "
    "hash-max-listpack-value bytes each; the ledger's order lists exceed the default 64 bytes for "
    "active users, which turns their whole hash into a hashtable. Raising hash-max-listpack-value "
    "keeps them compact (the layout's mean_hash_bytes against the same hashes rewritten with it "
    "raised to 1024 bytes); serving fewer views per user, or a shorter ledger (fewer retained "
    "order instants), shrinks it further.",
    "sqlite": "One row per (user, feature): the serialized entity key, the feature name, the "
    "value and two timestamps, repeated for every feature, stored in (entity_key, "
    "feature_name) order (WITHOUT ROWID) with Feast's index on entity_key. Shorter feature "
    "names, fewer served features and VACUUM after a load (materialization rewrites rows in "
    "place) shrink it; the row-per-feature layout is Feast's.",
}


def online_scale_figures(
    bench: Bench,
    stores: dict[float, dict[str, Path]],
    redis_clients: dict[float, Any],
    users: dict[float, list[int]],
    ends: dict[float, str],
) -> list[Figure]:
    """``stores[scale][profile]``: applied, empty stores of each size; ``redis_clients[scale]``:
    the client of the Redis server holding that size's store alone. The figures compare the
    largest size with the next one; every size's measurements are in the details (``by_scale``)."""
    *_, small, large = sorted(stores)
    measured: dict[tuple[float, str], dict[str, Any]] = {}
    for scale in sorted(stores):
        for profile, config in stores[scale].items():
            loaded = bench.step("materialize", scale, config=str(config), end=ends[scale])
            bench.step("load_ledger", scale, config=str(config), end=ends[scale])
            if profile == "sqlite":  # a store that fits in memory, as the smaller sizes' do
                _read_through(config.parent / "online_store.db")
            lookups = {
                batch: online_lookup(
                    bench, scale, config, users[scale], batch, "reader", ends[scale]
                )
                for batch in (1, 100)
            }
            per_user = _bytes_per_user(bench, scale, profile, config, redis_clients[scale])
            # the rows written, counted by the raw writer (its own copy, removed after)
            rows = bench.step("raw_write", scale, config=str(config), end=ends[scale])["rows"]
            (config.parent / "raw_online_store.db").unlink(missing_ok=True)
            measured[(scale, profile)] = {
                "rows": rows, "rows_per_second": rows / loaded["seconds"],
                "peak_mb": loaded["peak_mb"], "lookups": lookups, **per_user,
            }  # fmt: skip
    figures = []
    for profile in PROFILES:
        big, base = measured[(large, profile)], measured[(small, profile)]
        by_scale = {f"{scale:g}": _summary(measured[(scale, profile)]) for scale in sorted(stores)}
        label = f"x{large:g} {profile}"
        figures += [
            Figure(f"{label}: materialize", "entity rows/s", big["rows_per_second"],
                   base["rows_per_second"], f">= x{small:g}'s rows/s",
                   big["rows_per_second"] >= base["rows_per_second"],
                   details={"rows": big["rows"], f"x{small:g}_rows": base["rows"],
                            "by_scale": by_scale}),
            Figure(f"{label}: materialize peak memory", "MB", big["peak_mb"], base["peak_mb"],
                   "<= 1 GB", big["peak_mb"] <= MEMORY_LIMIT_MB),
        ]  # fmt: skip
        for batch in (1, 100):
            for stat in ("p50_ms", "p99_ms"):
                value, baseline = big["lookups"][batch][stat], base["lookups"][batch][stat]
                figures.append(
                    Figure(f"{label}: online {batch} user{'s' if batch > 1 else ''}, {stat[:3]}",
                           "ms", value, baseline, f"<= {LOOKUP_LIMIT}x x{small:g}",
                           value <= LOOKUP_LIMIT * baseline)
                )  # fmt: skip
        what = "memory" if profile == "redis" else "file size"
        figures.append(
            Figure(f"{label}: {what} per user", "bytes", big["bytes_per_user"],
                   base["bytes_per_user"], "(reported)", True,
                   details={"users": big["users"], "bytes": big["bytes"], "layout": big["layout"],
                            f"x{small:g}": {k: base[k] for k in ("users", "bytes", "layout")},
                            "what_would_shrink_it": SHRINK[profile]})
        )  # fmt: skip
    return figures


def _read_through(path: Path, chunk: int = 1 << 24) -> None:
    """Read a file once, so that the lookups after it find it in the page cache."""
    with path.open("rb") as handle:
        while handle.read(chunk):
            pass


def _summary(measured: dict[str, Any]) -> dict[str, Any]:
    """One size's measurements, flat (the capacity model reads them)."""
    return {
        "users": measured["users"], "rows": measured["rows"],
        "rows_per_second": measured["rows_per_second"], "peak_mb": measured["peak_mb"],
        "bytes_per_user": measured["bytes_per_user"],
        **{f"online_{batch}_{stat}": measured["lookups"][batch][stat]
           for batch in (1, 100) for stat in ("p50_ms", "p99_ms")},
    }  # fmt: skip


def _bytes_per_user(
    bench: Bench, scale: float, profile: str, config: Path, redis_client
) -> dict[str, Any]:
    """The store's bytes (Redis ``used_memory`` over an empty server's; the SQLite file) per user
    of the data size, and how the rows are laid out (Redis: hash encodings of sampled users)."""
    users = pq.ParquetFile(bench.scale_dir(scale) / "raw" / "users.parquet").metadata.num_rows
    if profile == "redis":
        info = redis_client.info("memory")
        size = info["used_memory"] - info.get("used_memory_startup", 0)
        layout = _redis_encodings(redis_client)
    else:
        size = (config.parent / "online_store.db").stat().st_size
        layout = sqlite_layout(config.parent / "online_store.db")
    return {"users": users, "bytes": size, "bytes_per_user": size / users, "layout": layout}


def _redis_encodings(client, sample: int = 200) -> dict[str, Any]:
    """How Redis keeps ``sample`` random user hashes (listpack or hashtable, mean fields, mean
    ``MEMORY USAGE``), and the same hashes rewritten with ``hash-max-listpack-value`` raised to
    ``COMPACT_VALUE_BYTES`` (copied to a spare database, measured, deleted; the setting restored)."""
    import redis

    spare = redis.Redis(**{**client.connection_pool.connection_kwargs, "db": SPARE_DB})
    before = client.config_get("hash-max-listpack-value")["hash-max-listpack-value"]
    encodings: dict[str, int] = {}
    fields, now, compact = [], [], []
    client.config_set("hash-max-listpack-value", COMPACT_VALUE_BYTES)
    try:
        for _ in range(sample):
            key = client.randomkey()
            if key is None:
                break
            kind = client.object("encoding", key)
            kind = kind.decode() if isinstance(kind, bytes) else str(kind)
            encodings[kind] = encodings.get(kind, 0) + 1
            fields.append(client.hlen(key))
            now.append(client.memory_usage(key, samples=0))
            spare.hset("copy", mapping=client.hgetall(key))
            compact.append(spare.memory_usage("copy", samples=0))
            spare.delete("copy")
    finally:
        client.config_set("hash-max-listpack-value", before)
    mean = lambda values: sum(values) / len(values) if values else 0.0  # noqa: E731
    return {
        "encodings": encodings, "mean_fields": mean(fields), "mean_hash_bytes": mean(now),
        f"mean_hash_bytes_with_listpack_value_{COMPACT_VALUE_BYTES}": mean(compact),
    }  # fmt: skip


def sqlite_layout(path: Path) -> dict[str, Any]:
    """Per view table of a SQLite online store: its entities, and per entity the stored bytes of
    its feature names and values (what a DynamoDB item of the view holds, in Feast's layout)."""
    import sqlite3

    connection = sqlite3.connect(f"{path.absolute().as_uri()}?mode=ro", uri=True)
    try:
        tables = [name for (name,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")]  # fmt: skip
        layout = {}
        for table in tables:
            entities, names, values, features = connection.execute(
                f'SELECT COUNT(DISTINCT entity_key), SUM(LENGTH(feature_name)), SUM(LENGTH(value)), '
                f'COUNT(DISTINCT feature_name) FROM "{table}"'
            ).fetchone()  # fmt: skip
            if entities:
                layout[table] = {
                    "entities": entities, "features": features,
                    "name_bytes_per_entity": names / entities,
                    "value_bytes_per_entity": values / entities,
                }  # fmt: skip
        return {"file": path.name, "views": layout}
    finally:
        connection.close()
