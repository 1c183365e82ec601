"""What the capacity model's fitted quantities mean for machines, nodes and write units: Redis
Cluster nodes, DynamoDB items and write units (from the measured SQLite layout), Spark executors,
materialization nodes and serving cores (``capacity_model`` renders it into docs/capacity.md)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

REDIS_NODE_GB = 25.0  # usable memory per Redis (Cluster) node: a 32 GB machine, some headroom
DYNAMODB_KB = 1024  # one write unit per KB of item


class CapacityModelError(RuntimeError):
    """The results lack a figure the model needs; the message says which run measures it."""


def users_at(scale: float, results: Path) -> float:
    """Users of a size: the tutorial's users per x1 (the online-scale figures count them)."""
    figures = json.loads(results.read_text())["figures"]
    by_scale = next(f for f in figures if f["name"].endswith(" redis: materialize"))["details"][
        "by_scale"
    ]
    size, values = next(iter(by_scale.items()))
    return values["users"] / float(size) * scale


def dynamodb_items(results: Path) -> dict[str, dict[str, float]]:
    """Per view: the bytes of one DynamoDB item in Feast's layout (``entity_id`` the 32-hex hash,
    ``event_ts`` an ISO string, ``values`` a map of feature name to serialized value), from the
    largest measured SQLite store's stored names and values per entity, and its write units."""
    figures = json.loads(results.read_text())["figures"]
    sqlite = next(f for f in figures if f["name"].endswith(" sqlite: file size per user"))
    views = sqlite["details"]["layout"].get("views")
    if not views:
        raise CapacityModelError(
            "the SQLite layout per view is missing from the online-scale figures: rerun "
            '`make bench BENCH_ARGS="--scale-max 100 --only online-scale"`.'
        )
    items = {}
    for table, view in views.items():
        # attribute names and values; a map costs 3 bytes plus 1 per element (DynamoDB's sizing)
        size = (len("entity_id") + 32 + len("event_ts") + 32 + len("values") + 3
                + view["features"] + view["name_bytes_per_entity"] + view["value_bytes_per_entity"])  # fmt: skip
        items[table.split("_", 2)[-1]] = {
            "bytes": size,
            "write_units": math.ceil(size / DYNAMODB_KB),
        }
    return items


def _figure(results: Path, ending: str) -> dict:
    figures = json.loads(results.read_text())["figures"]
    found = [f for f in figures if f["name"].endswith(ending) or f["name"].startswith(ending)]
    if not found:
        raise CapacityModelError(f"{results} has no figure '{ending}': run a whole `make bench`.")
    return found[0]


def planning(
    results: Path, fit: dict[str, Callable[[float], float]], targets: tuple[float, ...]
) -> list[str]:
    """What the fitted quantities mean for machines, nodes and write units."""
    spark = _figure(results, "build-features --engine spark x10")
    spark_ratio = spark["value"] / spark["baseline"]  # local[2] against DuckDB, same data and cores
    wrk = _figure(results, "HTTP lean, 50 clients")
    per_core = wrk["value"] / json.loads(results.read_text())["machine"]["cores"]
    items = dynamodb_items(results)
    lines = ["## What it means", "",
             "| at | users | Redis memory | Redis Cluster nodes | SQLite file | DynamoDB storage | "
             "DynamoDB write units, full load | build, DuckDB (one machine) | build, Spark 16 / 64 "
             "executors | materialize into Redis, one node / 8 nodes |",
             "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for scale in (100.0, *targets):
        users = users_at(scale, results)
        redis_gb = users * fit["bytes_per_user_redis"](scale) / 1e9
        build = fit["build_seconds"](scale)
        spark_at = [build * spark_ratio * 2 / n for n in (16, 64)]
        materialize = fit["materialize_seconds_redis"](scale)
        lines.append(
            f"| x{scale:,.0f} | {users / 1e6:,.2f}M | {redis_gb:,.1f} GB | "
            f"{max(1, math.ceil(redis_gb / REDIS_NODE_GB))} | "
            f"{users * fit['bytes_per_user_sqlite'](scale) / 1e9:,.1f} GB | "
            f"{users * sum(i['bytes'] + 100 for i in items.values()) / 1e9:,.1f} GB | "
            f"{users * sum(i['write_units'] for i in items.values()) / 1e6:,.1f}M | "
            f"{_duration(build)}, {fit['build_peak_mb'](scale) / 1024:.1f} GB | "
            f"{_duration(spark_at[0])} / {_duration(spark_at[1])} | "
            f"{_duration(materialize)} / {_duration(materialize / 8)} |"
        )
    item_list = ", ".join(
        f"`{v}` {i['bytes']:.0f} B ({i['write_units']} WCU)" for v, i in items.items()
    )
    return lines + [
        "",
        f"- **DynamoDB items** (one per user and view, Feast's layout): {item_list}; storage adds",
        "  DynamoDB's 100 bytes per item. A full load writes every item once; an incremental",
        "  materialization writes only the users whose rows changed.",
        f"- **Redis Cluster nodes**: {REDIS_NODE_GB:g} GB usable per node (a 32 GB machine); the",
        "  per-user memory is Redis' own `used_memory`, measured with the default listpack limits",
        "  (the online-scale figure shows what raising `hash-max-listpack-value` saves).",
        f"- **Spark**: DuckDB's fitted time x {spark_ratio:.1f} (Spark `local[2]` against DuckDB on the",
        "  same x10 data and cores), divided by executors / 2. An assumption, not a measurement: the",
        "  Spark build was measured on one machine only; its parts are independent, so it should",
        "  scale with executors until the shuffle of the orders by user dominates.",
        f"- **Serving**: {per_core:,.0f} lookups/s per core (the lean HTTP route under 50 `wrk` clients,",
        "  divided by the cores it shared with `wrk`: a lower bound). Lookup latency does not grow with",
        "  the data (the constant rows above): add workers and cores for load, not for size.",
        "- **Materialization per node**: one process writes; nodes split the users (or the views) and",
        "  write in parallel, so the time divides by the nodes while the store keeps up.",
    ]


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
