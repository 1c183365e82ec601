"""Mixed-load figures on Redis: reads, pushes and a day's materialization at once, each figure
beside the quiet figure of the same run.

At once: 50 ``wrk`` clients on the scoring service's ``/get-online-features``, held-out orders
pushed at a steady 1,000 orders/s (with push-to-visible samples through the lean reader), and
``feast materialize-incremental`` of the last day of the batch (at ``nice`` 19, as a batch job
beside serving runs). The run has its own data
(``generate-data --hold-out-after``, as the push section), its own store loaded a day before the
data horizon (so that the incremental day has rows to load) and the Redis it is given.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

from devtools.bench.cpu_shares import CpuSampler
from devtools.bench.figures import lookup_users
from devtools.bench.load import wrk_run
from devtools.bench.push_figures import HOLD_OUT_AFTER, applied_held_out_store
from devtools.bench.report import Figure
from devtools.bench.runner import Bench
from devtools.bench.serving_figures import LOAD_CLIENTS, SERVICE
from devtools.local_servers import free_port, http_server

MODULE = "devtools.bench.mixed_steps"
PUSH_RATE = 1_000  # orders/s
PUSH_TICK = 0.1  # seconds between pushed batches (100 orders, then one measured alone)
LOAD_SECONDS = 20  # x1 holds about 54,000 held-out orders: 20,000 quiet, 20,000 mixed
READ_P99_LIMIT = 1.5  # x the quiet read p99
VISIBLE_P99_MS = 50
# The day's materialization is a batch job: beside a serving process it runs at the lowest CPU
# priority (docs/operations.md), so that it takes the cores the service leaves: in a session of
# its own whose scheduling group has that nice, and the idle policy (``batch_priority``). At nice
# 10, then 19, within the bench's session it still took 12-14% of the window's cores: the kernel
# shared them between sessions first; in a group of its own, 12% once on a slow day, 7% with the
# idle policy too. The pusher, whose orders must be visible within 50 ms, keeps the normal priority.
MATERIALIZE_NICENESS = 19


def mixed_figures(bench: Bench, scale: float, redis_endpoint: str) -> list[Figure]:
    fresh = Bench(bench.work_dir / "mixed", bench.console, dict(bench.env), smoke=bench.smoke)
    config, raw = applied_held_out_store(fresh, scale, redis_endpoint)  # loaded a day before, below
    day_before = (datetime.fromisoformat(HOLD_OUT_AFTER) - timedelta(days=1)).isoformat()
    fresh.step("backfill_before", scale, MODULE, config=str(config), end=day_before)
    users = lookup_users(fresh, scale, bench.sized(2_000, 200))
    bodies = [{"feature_service": SERVICE, "entities": {"user_id": [u], "request_time": [HOLD_OUT_AFTER]},
               "as_of": HOLD_OUT_AFTER} for u in users]  # fmt: skip
    seconds = bench.sized(LOAD_SECONDS, 3)
    ready = fresh.work_dir / "pusher-ready"
    ready.unlink(missing_ok=True)
    sent = [fresh.work_dir / f"sent-{run}.json" for run in ("quiet", "mixed")]
    push = {"config": str(config), "raw": str(raw), "start": HOLD_OUT_AFTER, "seconds": seconds,
            "rate": bench.sized(PUSH_RATE, 100), "tick": PUSH_TICK}  # fmt: skip
    port = free_port()
    command = ["uvicorn", "feature_repo.serving.service.scoring_service:app", "--host", "127.0.0.1",
               "--port", str(port), "--workers", "2", "--no-access-log"]  # fmt: skip
    env = {**fresh.data_env(scale), "FEAST_FS_YAML_FILE_PATH": str(config)}
    with http_server(command, port, ready_path="/docs", env=env) as url:
        endpoint = url + "/get-online-features"
        with CpuSampler() as quiet_cpu:
            quiet_read = wrk_run(endpoint, bodies, LOAD_CLIENTS, seconds, fresh.work_dir)
        quiet_push = fresh.step("steady_push", scale, MODULE, **push, sent=str(sent[0]))
        with ThreadPoolExecutor(max_workers=3) as pool:
            # the pusher starts first: the window measures a running push service, not its start-up
            pushed = pool.submit(
                fresh.step, "steady_push", scale, MODULE,
                **{**push, "start": quiet_push["last_order_at"], "sent": str(sent[1]), "ready": str(ready)},
            )  # fmt: skip
            _wait_for(ready, pushed)
            with CpuSampler() as mixed_cpu:
                read = pool.submit(wrk_run, endpoint, bodies, LOAD_CLIENTS, seconds, fresh.work_dir)
                materialized = pool.submit(_materialize_day, fresh, scale, config)
                read = read.result()
                mixed_cpu.stop()  # the CPU of the read window: where it went while wrk measured
            pushed, materialized = pushed.result(), materialized.result()
    lost = fresh.step("lost_orders", scale, MODULE, config=str(config), sent=[str(p) for p in sent])
    cpu = {"quiet_read": quiet_cpu.shares(), "mixed": mixed_cpu.shares()}
    return _figures(quiet_read, read, quiet_push, pushed, materialized, lost, cpu)


def _wait_for(ready: Path, pushing) -> None:
    """Until the pusher has planned its reader (or has ended: its error is raised then)."""
    while not ready.exists() and not pushing.done():
        time.sleep(0.05)


def _materialize_day(bench: Bench, scale: float, config: Path) -> dict:
    begin = time.perf_counter()
    bench.cli(scale, "feast", "-f", str(config), "materialize-incremental", HOLD_OUT_AFTER,
              niceness=MATERIALIZE_NICENESS)  # fmt: skip
    return {"seconds": time.perf_counter() - begin, "end": HOLD_OUT_AFTER,
            "niceness": MATERIALIZE_NICENESS}  # fmt: skip


def _figures(quiet_read, read, quiet_push, pushed, materialized, lost, cpu) -> list[Figure]:
    label = f"mixed: {LOAD_CLIENTS} clients + pushes + materialize-incremental"
    visible, quiet_visible = pushed["visible"] or {}, quiet_push["visible"] or {}
    errors = read["errors"] + pushed["errors"]
    details = {"read": read, "quiet_read": quiet_read, "push": pushed, "quiet_push": quiet_push,
               "materialize_incremental": materialized, "lost": lost,
               "cpu": {window: shares.as_dict() for window, shares in cpu.items()}}  # fmt: skip
    served, quiet_served = (
        cpu[window].share("scoring service") for window in ("mixed", "quiet_read")
    )
    return [
        Figure(f"{label}, read p99", "ms", read["p99_ms"], quiet_read["p99_ms"],
               f"<= {READ_P99_LIMIT}x quiet read p99", read["p99_ms"] <= READ_P99_LIMIT * quiet_read["p99_ms"],
               details=details),
        Figure(f"{label}, read p50", "ms", read["p50_ms"], quiet_read["p50_ms"], "(reported: vs quiet)", True),
        Figure(f"{label}, read max", "ms", read["max_ms"], quiet_read["max_ms"], "(reported: vs quiet)", True),
        Figure(f"{label}, reads", "requests/s", read["requests_per_second"],
               quiet_read["requests_per_second"], "(reported: vs quiet)", True),
        Figure(f"{label}, the scoring service's share of the cores", "share", served, quiet_served,
               "(reported: vs quiet; the rest went to wrk, Redis, the pusher and the materialization)",
               True, details=details["cpu"]),
        Figure(f"{label}, pushed", "orders/s", pushed["orders_per_second"], quiet_push["orders_per_second"],
               f"(reported: paced at {pushed['rate']:,}/s; vs quiet)", True),
        Figure(f"{label}, push-to-visible p50", "ms", visible.get("p50_ms", float("nan")),
               quiet_visible.get("p50_ms"), "(reported: vs quiet)", True),
        Figure(f"{label}, push-to-visible p99", "ms", visible.get("p99_ms", float("nan")),
               quiet_visible.get("p99_ms"), f"<= {VISIBLE_P99_MS} ms",
               visible.get("p99_ms", float("inf")) <= VISIBLE_P99_MS),
        Figure(f"{label}, errors", "errors", errors, quiet_read["errors"] + quiet_push["errors"], "0",
               errors == 0),
        Figure(f"{label}, lost orders", "orders", lost["lost"], None,
               f"0 of {lost['checked']:,} applied orders missing from the online ledger",
               lost["lost"] == 0 and lost["checked"] > 0, details=lost),
    ]  # fmt: skip
