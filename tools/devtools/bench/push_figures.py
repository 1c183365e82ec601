"""Push figures on Redis: push throughput against raw pipelined writes of the same keys, the time
from a push to the lean reader seeing it, and online = offline after replaying held-out orders.

The run has its own data (``generate-data --hold-out-after T0``: the batch ends at T0, the orders
after it are replayed), its own Redis store loaded as of T0, and its own pushed-orders dataset.
"""

from __future__ import annotations

from pathlib import Path

from devtools.bench.report import Figure
from devtools.bench.runner import Bench

MODULE = "devtools.bench.push_steps"
HOLD_OUT_AFTER = "2020-10-01T00:00:00+00:00"
THROUGHPUT_DAYS = 10.0  # replayed in batches, then compared with the rebuilt batch
LATENCY_CALLS = 200
PUSH_BATCH = 1_000  # orders per push call
TARGET_ORDERS_PER_SECOND = 10_000  # issue 24: at the speed of the store
TARGET_VISIBLE_P99_MS = 10


def push_figures(bench: Bench, scale: float, redis_endpoint: str) -> list[Figure]:
    fresh = Bench(bench.work_dir / "fresh", bench.console, dict(bench.env), smoke=bench.smoke)
    config, raw = held_out_store(fresh, scale, redis_endpoint)
    common = {"config": str(config), "raw": str(raw), "start": HOLD_OUT_AFTER}
    days = bench.sized(THROUGHPUT_DAYS, 1.0)
    batch = bench.sized(PUSH_BATCH, 20)  # a smoke run's day holds a few hundred orders
    pushed = fresh.step("push_throughput", scale, MODULE, **common, days=days, batch=batch)
    baseline = fresh.step("raw_pipelined_writes", scale, MODULE, **common, days=days, batch=batch)
    rate, raw_rate = (run["orders"] / run["seconds"] for run in (pushed, baseline))

    fresh.cli(scale, "delivery-fs", "build-features")  # raw + pushed orders
    users = _touched(raw)
    end = _instant(HOLD_OUT_AFTER, days)
    instants = [end, _instant(end, 7.0, seconds=1)]  # and a week later: windows expired
    compared = fresh.step("online_offline_mismatches", scale, MODULE, config=str(config), instants=instants, users=users)  # fmt: skip
    latency = fresh.step("push_latency", scale, MODULE, **{**common, "start": end}, days=3.0, calls=bench.sized(LATENCY_CALLS, 20))  # fmt: skip
    visible, read = latency["visible"], latency["lean_read"]
    return [
        Figure("push throughput, redis", "orders/s", rate, raw_rate,
               f">= {TARGET_ORDERS_PER_SECOND:,} orders/s", rate >= TARGET_ORDERS_PER_SECOND,
               details={"push": pushed, "raw_pipelined_writes": baseline}),
        Figure("push-to-visible latency, one order, redis (p99)", "ms", visible["p99_ms"],
               read["p99_ms"], f"p99 <= {TARGET_VISIBLE_P99_MS:,} ms",
               visible["p99_ms"] <= TARGET_VISIBLE_P99_MS,
               details={"visible": visible, "lean_read_alone": read}),
        Figure(f"online = offline after replaying {days:g} days (mismatches)", "values",
               compared["mismatches"], None, "0", compared["mismatches"] == 0,
               details={**compared, "instants": instants, "users": len(users)}),
    ]  # fmt: skip


def held_out_store(bench: Bench, scale: float, redis_endpoint: str) -> tuple[Path, Path]:
    """``applied_held_out_store``, loaded online as of T0 (``backfill-online``)."""
    config, raw = applied_held_out_store(bench, scale, redis_endpoint)
    bench.cli(scale, "delivery-fs", "backfill-online")
    return config, raw


def applied_held_out_store(bench: Bench, scale: float, redis_endpoint: str) -> tuple[Path, Path]:
    """Data held out after ``HOLD_OUT_AFTER`` (a previous run's pushes removed), features built, a
    Redis store applied (not loaded); its feature_store.yaml (also set in ``bench.env``) and raw
    directory."""
    raw = bench.scale_dir(scale) / "raw"
    bench.cli(scale, "delivery-fs", "generate-data", "--scale", f"{scale:g}", "--hold-out-after", HOLD_OUT_AFTER)  # fmt: skip
    for leftover in sorted((raw / "pushed_transactions").glob("batch-*.parquet")):
        leftover.unlink()  # a previous run's pushes
    bench.cli(scale, "delivery-fs", "build-features")
    config = bench.applied_store(scale, "redis", {"DELIVERY_FS_REDIS": redis_endpoint})
    bench.env["FEAST_FS_YAML_FILE_PATH"] = str(config)
    return config, raw


def _touched(raw: Path) -> list[int]:
    """The users of the pushed orders (applied, late or duplicate; rejected ones are not kept)."""
    import pandas as pd

    batches = sorted((raw / "pushed_transactions").glob("batch-*.parquet"))
    orders = pd.concat(pd.read_parquet(batch, columns=["user_id"]) for batch in batches)
    return sorted(int(u) for u in orders["user_id"].unique())


def _instant(text: str, days: float, seconds: int = 0) -> str:
    import pandas as pd

    return (pd.Timestamp(text) + pd.Timedelta(days=days, seconds=seconds)).isoformat()
