"""One soak: prepare a Redis store, start the service, readers, pusher and the minute's
materialization, inject the faults on schedule, stop, then check from the record and report."""

from __future__ import annotations

import json
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

from rich.console import Console

from devtools.bench.push_figures import HOLD_OUT_AFTER, held_out_store
from devtools.bench.runner import Bench
from devtools.local_servers import stop_process_group
from devtools.soak import checks, stored
from devtools.soak.faults import SCHEDULE, Faults, materialize_every_minute
from devtools.soak.processes import durable_redis, start_service
from devtools.soak.pusher import Pusher
from devtools.soak.readers import Readers

QUIET_FRACTION = 0.15  # the first part of the soak: no fault, its read p99 is the quiet value
DRAIN_SECONDS = 60


def soak(work_dir: Path, minutes: float, scale: float, per_second: int, console: Console) -> dict:
    bench = Bench(work_dir, console)
    shutil.rmtree(work_dir / "redis", ignore_errors=True)  # a previous soak's append-only file
    redis = durable_redis(work_dir / "redis")
    console.print(
        f"[bold]soak[/]: {minutes:g} min, scale {scale:g}, Redis {redis.endpoint} (AOF, fsync always)"
    )
    try:
        config, raw = held_out_store(bench, scale, redis.endpoint)
        orders, users = _held_out(raw, per_second * int(minutes * 60))
        service = start_service(bench, scale, work_dir / "service.log")
        try:
            return _loaded(bench, scale, config, raw, redis, service, orders, users, minutes, work_dir, per_second)  # fmt: skip
        finally:
            stop_process_group(service.process, timeout=15)
    finally:
        redis.stop()


def _loaded(
    bench, scale, config, raw, redis, service, orders, users, minutes, work_dir, per_second
):  # noqa: PLR0913
    seconds = minutes * 60
    record = work_dir / "pushes.jsonl"
    record.unlink(missing_ok=True)
    started = time.monotonic()
    bodies = [{"feature_service": "checkout_model_v1",
               "entities": {"user_id": [u], "cart_amount": [25.0], "request_time": [HOLD_OUT_AFTER]},
               "as_of": HOLD_OUT_AFTER} for u in users[:500]]  # fmt: skip
    readers = Readers(service.url, bodies, work_dir, started)
    pusher = Pusher(service.url, orders, record, per_second, started=started)
    faults = Faults(bench, scale, redis, service, pusher, started)
    stop_jobs, materialized = threading.Event(), []
    threads = [threading.Thread(target=t, daemon=True) for t in (readers.run, pusher.run)]
    threads.append(threading.Thread(target=materialize_every_minute, args=(faults, stop_jobs, materialized), daemon=True))  # fmt: skip
    for thread in threads:
        thread.start()
    try:
        for fraction, name, arguments in SCHEDULE:
            time.sleep(max(0.0, started + fraction * seconds - time.monotonic()))
            bench.console.print(f"  fault at {faults.now():.0f} s: {name} {arguments or ''}")
            faults.inject(name, arguments)
        time.sleep(max(0.0, started + seconds - time.monotonic()))
    finally:
        pusher.stop.set()
        stop_jobs.set()
        readers.stop.set()
        for thread in threads:
            thread.join(timeout=120)
    pusher.drain(DRAIN_SECONDS)
    bench.console.print("  final build, materialization and checks")
    bench.cli(scale, "delivery-fs", "build-features")
    final_materialize = faults.materialize()
    skew = _skew_check(bench, scale)
    answers = [json.loads(line) for line in record.read_text().splitlines()]
    return _checked(answers, readers.slices, faults.events, materialized + [final_materialize],
                    skew, config, raw, seconds)  # fmt: skip


def _held_out(raw: Path, count: int) -> tuple[list[dict], list[int]]:
    """The first ``count`` held-out orders (by instant) as push records, and the batch's users."""
    from datetime import datetime

    import pandas as pd

    from feature_repo.push.replay import HELD_OUT_NAME, _records, held_out_orders

    frame = held_out_orders(raw / HELD_OUT_NAME, datetime.fromisoformat(HOLD_OUT_AFTER)).head(count)
    users = pd.read_parquet(raw / "users.parquet", columns=["user_id"])["user_id"].tolist()
    return _records(frame), [int(u) for u in users]


def _skew_check(bench: Bench, scale: float) -> dict:
    from devtools.bench.runner import BenchError

    try:
        output = bench.cli(scale, "delivery-fs", "skew-check")
        return {"passed": True, "output": output[-2000:]}
    except BenchError as error:
        return {"passed": False, "output": str(error)[-2000:]}


def _checked(answers, slices, events, materialized, skew, config, raw, seconds) -> dict:
    outcome = checks.outcomes(answers)
    users = sorted({int(a["user_id"]) for a in answers})
    online = stored.online_ledger_counts(config, users)
    offline, raw_copies = stored.offline_counts(raw)
    found = checks.classify(outcome, online, offline)
    quiet = [s for s in slices if s["end"] <= QUIET_FRACTION * seconds and s["p99_ms"] is not None]
    quiet_p99 = sorted(s["p99_ms"] for s in quiet)[len(quiet) // 2] if quiet else None
    for event in events:
        event["recovery_seconds"] = (
            checks.recovery_seconds(slices, event["at"], quiet_p99) if quiet_p99 else None
        )
    return {
        "answers": Counter(a["answer"] for a in answers),
        "orders_by_outcome": Counter(outcome.values()),
        "found": found,
        "offline_raw_copies_over_one": sum(1 for n in raw_copies.values() if n > 1),
        "quiet_p99_ms": quiet_p99,
        "slices": slices,
        "events": events,
        "materialized": materialized,
        "skew": skew,
        "seconds": seconds,
    }
