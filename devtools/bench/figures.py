"""Each group of figures: the measured step, its same-run baseline, the target of issue 7."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from devtools.bench.report import Figure
from devtools.bench.runner import Bench

STOCK_MATERIALIZE_ROWS_PER_SECOND = 4_700  # FEAST_NOTES.md, stock Feast 0.67 into SQLite
MEMORY_LIMIT_MB = 1024


def materialize_figures(bench: Bench, scale: float, configs: dict[str, Path], end: str):
    figures = []
    for profile, config in configs.items():
        feast = bench.step("materialize", scale, config=str(config), end=end)
        raw = bench.step("raw_write", scale, config=str(config), end=end)
        rate, raw_rate = raw["rows"] / feast["seconds"], raw["rows"] / raw["seconds"]
        stock_x3 = 3 * STOCK_MATERIALIZE_ROWS_PER_SECOND
        figures += [
            Figure(f"materialize into {profile}", "entity rows/s", rate, raw_rate,
                   f">= {stock_x3:,} (3x stock) and >= 0.5x raw",
                   rate >= stock_x3 and rate >= 0.5 * raw_rate,
                   details={"rows": raw["rows"], "seconds": feast["seconds"]}),
            Figure(f"materialize into {profile} peak memory", "MB", feast["peak_mb"],
                   raw["peak_mb"], "<= 1 GB", feast["peak_mb"] <= MEMORY_LIMIT_MB),
        ]  # fmt: skip
    return figures


def lookup_users(bench: Bench, scale: float, count: int, seed: int = 11) -> list[int]:
    users = pd.read_parquet(bench.scale_dir(scale) / "raw" / "users.parquet", columns=["user_id"])
    picked = np.random.default_rng(seed).choice(users["user_id"].to_numpy(), count, replace=False)
    return [int(u) for u in picked]


def online_lookup(bench: Bench, scale: float, config: Path, users, batch: int, mode: str, now: str):
    calls, warm_up = (3000, 300) if batch == 1 else (400, 40)
    return bench.step("online", scale, config=str(config), users=users, batch=batch,
                      calls=calls, warm_up=warm_up, mode=mode, now=now)  # fmt: skip


def online_figures(bench: Bench, scale: float, configs: dict[str, Path], users, now: str):
    """In-process lookups through the main service, against raw reads of the same keys."""
    figures = []
    for profile, config in configs.items():
        for batch in (1, 100):
            ours = online_lookup(bench, scale, config, users, batch, "reader", now)
            raw = online_lookup(bench, scale, config, users, batch, "raw", now)
            label = f"online {profile}, {batch} user{'s' if batch > 1 else ''}"
            limit = 2 if (profile == "redis" and batch == 1) else 3
            figures.append(
                Figure(f"{label}, p50", "ms", ours["p50_ms"], raw["p50_ms"],
                       f"<= {limit}x raw", ours["p50_ms"] <= limit * raw["p50_ms"],
                       details={"ours": ours, "raw": raw})
            )  # fmt: skip
            if profile == "redis":
                p99_limit = 1 if batch == 1 else 5
                figures.append(
                    Figure(f"{label}, p99", "ms", ours["p99_ms"], raw["p99_ms"],
                           f"<= {p99_limit} ms", ours["p99_ms"] <= p99_limit)
                )  # fmt: skip
    return figures


def http_figures(bench: Bench, scale: float, config: Path, users, now: str) -> list[Figure]:
    """``feast serve`` (as the README runs it), 1 user per request, against the in-process lookup."""
    from devtools.local_servers import free_port, http_server

    in_process = online_lookup(bench, scale, config, users, 1, "stock", now)
    port = free_port()
    command = ["feast", "-f", str(config), "serve", "-h", "127.0.0.1", "-p", str(port),
               "--max-requests", "0", "--no-access-log"]  # fmt: skip
    with http_server(command, port, ready_path="/health", env=bench.data_env(scale)) as url:
        served = bench.step("http", scale, url=url, users=users, calls=10_000, warm_up=300, now=now)
    return [
        Figure("HTTP feast serve, 1 user, p50", "ms", served["p50_ms"], in_process["p50_ms"],
               "(reported)", True, details={"served": served, "in_process": in_process}),
        Figure("HTTP feast serve, 1 user, p99", "ms", served["p99_ms"], in_process["p99_ms"],
               "<= 3 ms", served["p99_ms"] <= 3),
        Figure("HTTP feast serve, 1 user, max", "ms", served["max_ms"], in_process["max_ms"],
               "<= 50 ms", served["max_ms"] <= 50),
    ]  # fmt: skip


def sagemaker_figures(bench: Bench, scale: float, config: Path, settings: Path) -> list[Figure]:
    """The mirror's ingest against one PutRecord at a time, with the emulator's added latency."""
    bench.cli(scale, "delivery-fs", "sagemaker", "apply", "--config", str(settings),
              "--feature-store-yaml", str(config))  # fmt: skip
    result = bench.step("sagemaker", scale, config=str(config), settings=str(settings),
                        serial=100, parallel=3000)  # fmt: skip
    ratio = result["parallel_per_second"] / result["serial_per_second"]
    complete = result["failed"] == 0 and result["missing"] == 0
    return [
        Figure(f"SageMaker ingest, 20 ms per call, {result['workers']} workers", "records/s",
               result["parallel_per_second"], result["serial_per_second"],
               ">= 10x serial, no lost record", ratio >= 10 and complete, details=result)
    ]  # fmt: skip
