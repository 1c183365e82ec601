"""The measured steps of the push figures (``push_figures``), each run in a fresh process by
``Bench.step(..., module="devtools.bench.push_steps")``."""

from __future__ import annotations

import gc
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from devtools.bench.measure import latency_summary
from devtools.bench.steps import main

BATCH = 1_000


def _pusher(config: str, raw: str):
    from feature_repo.push.service import OrderPusher
    from feature_repo.repository.store import open_store

    store = open_store(config_path=Path(config))
    return store, OrderPusher(store, raw=Path(raw))


def _orders(raw: str, start: str, days: float) -> pd.DataFrame:
    from feature_repo.push.replay import HELD_OUT_NAME, held_out_orders

    begin = datetime.fromisoformat(start)
    return held_out_orders(Path(raw) / HELD_OUT_NAME, begin, begin + timedelta(days=days))


def push_throughput(
    config: str, raw: str, start: str, days: float, batch: int = BATCH
) -> dict[str, Any]:
    """Replay ``days`` of held-out orders in batches of ``batch``: orders per second, end to end
    (checks, one ledger read, offline append, three online writes per batch), and the process'
    CPU time per 1,000 orders (steadier than the wall time on a shared machine)."""
    from feature_repo.push.replay import _records

    store, pusher = _pusher(config, raw)
    orders = _orders(raw, start, days)
    batches = [_records(orders.iloc[i : i + batch]) for i in range(0, len(orders), batch)]
    counts: dict[str, int] = {}
    seconds, cpu = [], []
    for index, records in enumerate(batches):
        begin, cpu_begin = time.perf_counter(), time.process_time()
        for result in pusher.push(records, "replay"):
            counts[str(result.status)] = counts.get(str(result.status), 0) + 1
        seconds.append(time.perf_counter() - begin)
        cpu.append(time.process_time() - cpu_begin)  # every thread of the process
        if index == 0:  # the first batch warms up (lazy imports, registry); then as a server runs
            gc.collect()
            gc.freeze()
    measured = sum(len(b) for b in batches[1:])
    return {"orders": measured, "seconds": sum(seconds[1:]), "first_batch_seconds": seconds[0],
            "cpu_ms_per_1000_orders": 1e6 * sum(cpu[1:]) / max(measured, 1),
            "counts": counts, "users": int(orders["user_id"].nunique())}  # fmt: skip


def raw_pipelined_writes(
    config: str, raw: str, start: str, days: float, batch: int = BATCH
) -> dict[str, Any]:
    """The same keys with redis-py alone, in batches of ``batch``: one pipelined HMGET per user
    (its ledger), then one pipelined HSET per order and per user (the bytes of a ledger row), in a
    key space of their own."""
    import redis

    from feature_repo.repository.store import open_store

    store = open_store(config_path=Path(config))
    host, port = store.config.online_store.connection_string.split(",")[0].split(":")
    client = redis.Redis(host=host, port=int(port))
    orders = _orders(raw, start, days).iloc[batch:]  # the batches push_throughput measured
    ledger_bytes = os.urandom(600)  # about a ledger row of the demo (README: online costs)
    begin = time.perf_counter()
    for i in range(0, len(orders), batch):
        written = orders.iloc[i : i + batch]
        users = written["user_id"].unique().tolist()
        with client.pipeline(transaction=False) as pipe:
            for user in users:
                pipe.hmget(f"raw_push:user:{user}", ["ledger", "_ts"])
            pipe.execute()
        with client.pipeline(transaction=False) as pipe:
            for order in written["transaction_id"].tolist():
                pipe.hset(f"raw_push:order:{order}", mapping={"row": b"x" * 120, "_ts": b"t"})
            for user in users:
                pipe.hset(
                    f"raw_push:user:{user}",
                    mapping={"ledger": ledger_bytes, "stats": b"s" * 300, "_ts": b"t"},
                )
            pipe.execute()
    return {"orders": len(orders), "seconds": time.perf_counter() - begin}


def push_latency(config: str, raw: str, start: str, days: float, calls: int) -> dict[str, Any]:
    """One order at a time: push, then poll the lean reader until the order counts; the time from
    the push call to the first read that sees it (and the lean read alone, for comparison)."""
    from feature_repo.push.replay import _records
    from feature_repo.serving.lookup.online_features import OnlineFeatureReader

    store, pusher = _pusher(config, raw)
    reader = OnlineFeatureReader(store, "checkout_model_v1")
    gc.collect()
    gc.freeze()
    orders = _orders(raw, start, days)
    orders = orders[orders["user_id"].isin(_known(store, orders))].head(calls)
    visible, reads = [], []
    for record in _records(orders):
        at = datetime.fromisoformat(record["transaction_date"]).astimezone(UTC)
        row = [{"user_id": int(record["user_id"]), "cart_amount": 20.0}]
        before = reader.read(row, now=at)[0]["order_count_7d"].value or 0
        begin = time.perf_counter()
        results = pusher.push([record], "replay")
        while results[0].status == "applied":
            read_begin = time.perf_counter()
            seen = reader.read(row, now=at)[0]["order_count_7d"].value or 0
            reads.append(time.perf_counter() - read_begin)
            if seen == before + 1:
                break
        visible.append(time.perf_counter() - begin)
    return {"visible": latency_summary(visible), "lean_read": latency_summary(reads)}


def _known(store, orders: pd.DataFrame) -> list[int]:
    from feature_repo.push.online_writes import read_view_rows

    users = [int(u) for u in orders["user_id"].unique()]
    rows = read_view_rows(store, "user_order_ledger", [{"user_id": u} for u in users])
    return [u for u, (_, values) in zip(users, rows, strict=True) if values is not None]


def online_offline_mismatches(config: str, instants: list[str], users: list[int]) -> dict[str, Any]:
    """Every ``user_order_stats`` feature of ``users`` through the lean reader and through
    ``get_historical_features`` at each instant: the (user, feature, instant) that differ."""
    from feature_repo.repository.store import open_store
    from feature_repo.serving.lookup.online_features import OnlineFeatureReader
    from feature_repo.training.frames import training_frame
    from feature_repo.transforms.order_stats import column_order

    store = open_store(config_path=Path(config))
    reader = OnlineFeatureReader(store, "churn_model_v1")
    names = [c for c in column_order() if c not in ("user_id", "event_timestamp")]
    compared, mismatches = 0, []
    for text in instants:
        at = pd.Timestamp(text)
        entities = pd.DataFrame({"user_id": users, "event_timestamp": at, "request_time": at})
        offline = training_frame(store, entities, "churn_model_v1")
        online = reader.read([{"user_id": u} for u in users], now=at.to_pydatetime())
        for row, values in zip(offline.itertuples(index=False), online, strict=True):
            for name in names:
                compared += 1
                if not _same(getattr(row, name), values[name].value):
                    mismatches.append((row.user_id, name, text))
    return {"compared": compared, "mismatches": len(mismatches), "examples": mismatches[:5]}


def _same(offline: Any, online: Any) -> bool:
    """Equal, missing (None, NaN, NaT) equal to missing, numbers to 1e-9."""
    missing = [
        v is None or (pd.api.types.is_scalar(v) and bool(pd.isna(v))) for v in (offline, online)
    ]
    if any(missing):
        return all(missing)
    if isinstance(offline, float | int) and not isinstance(offline, bool):
        return abs(float(offline) - float(online)) <= 1e-9 * max(1.0, abs(float(offline)))
    return offline == online


STEPS = {
    f.__name__: f
    for f in (push_throughput, raw_pipelined_writes, push_latency, online_offline_mismatches)
}

if __name__ == "__main__":
    main(STEPS)
