"""Serving and materialization figures: the lean reader, the lean HTTP endpoint and the bulk
online stores, each beside its same-run baseline (raw client reads and writes) and the stock
path (``get_online_features``, ``feast serve``, Feast's own online store classes)."""

from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from devtools.bench.report import Figure
from devtools.bench.runner import Bench

SERVICE = "churn_model_v1"
MEMORY_LIMIT_MB = 1024
STOCK_TYPES = {"redis": "redis", "sqlite": "sqlite"}
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "60"))  # shorter for a trial run
LOAD_CLIENTS = 50
SERVER_CORE, LOAD_CORE = 0, 1  # the pinned wrk figure: server and load generator apart


def serving_figures(bench: Bench, scale: float, configs: dict[str, Path], users, end: str):
    """Every serving figure on the applied stores ``configs`` (profile -> feature_store.yaml)."""
    figures = materialize_figures(bench, scale, configs, end)
    for config in configs.values():
        bench.step("load_ledger", scale, config=str(config), end=end)
    figures += online_figures(bench, scale, configs, users, end)
    figures += http_figures(bench, scale, configs["redis"], users, end)
    return figures


def stock_variant(config: Path, profile: str) -> Path:
    """The same store with Feast's own online store class and batch engine, in a project of its own."""
    document = yaml.safe_load(config.read_text())
    document["online_store"]["type"] = STOCK_TYPES[profile]
    document.pop("batch_engine", None)  # Feast's local engine
    document["project"] = f"{document['project']}_stock"
    if profile == "sqlite":
        document["online_store"]["path"] = str(config.parent / "stock_online_store.db")
    document["registry"]["path"] = str(config.parent / "stock_registry.db")
    path = config.parent / f"stock.{config.name}"
    path.write_text(yaml.safe_dump(document))
    return path


def materialize_figures(bench: Bench, scale: float, configs: dict[str, Path], end: str):
    figures = []
    for profile, config in configs.items():
        stock_config = stock_variant(config, profile)
        bench.cli(scale, "feast", "-f", str(stock_config), "apply")
        ours = bench.step("materialize", scale, config=str(config), end=end)
        stock = bench.step("materialize", scale, config=str(stock_config), end=end)
        raw = bench.step("raw_write", scale, config=str(config), end=end)
        rows = raw["rows"]
        rate, stock_rate, raw_rate = (rows / run["seconds"] for run in (ours, stock, raw))
        figures += [
            Figure(f"materialize into {profile} (bulk class)", "entity rows/s", rate, raw_rate,
                   ">= 3x stock class and >= 0.5x raw", rate >= 3 * stock_rate and rate >= 0.5 * raw_rate,
                   details={"rows": rows, "ours": ours, "stock_class": stock, "raw": raw,
                            "stock_rows_per_second": stock_rate, "vs_stock": rate / stock_rate}),
            Figure(f"materialize into {profile} peak memory", "MB", ours["peak_mb"],
                   stock["peak_mb"], "<= 1 GB", ours["peak_mb"] <= MEMORY_LIMIT_MB,
                   details={"online_write_seconds": ours["write_seconds"],
                            "offline_pull_and_conversion_seconds": ours["seconds"] - ours["write_seconds"]}),
        ]  # fmt: skip
    return figures


def online_lookup(bench: Bench, scale: float, config: Path, users, batch: int, mode: str, now: str):
    calls, warm_up = bench.sized((3000, 300) if batch == 1 else (400, 40), (30, 3))
    return bench.step("online", scale, config=str(config), users=users, batch=batch,
                      calls=calls, warm_up=warm_up, mode=mode, now=now)  # fmt: skip


def online_figures(bench: Bench, scale: float, configs: dict[str, Path], users, now: str):
    """In-process lookups through the main service: lean reader, raw reads, stock Feast."""
    figures = []
    for profile, config in configs.items():
        for batch in (1, 100) if profile == "redis" else (1,):
            runs = {m: online_lookup(bench, scale, config, users, batch, m, now)
                    for m in ("reader", "raw", "stock", "store_read")}  # fmt: skip
            ours, raw = runs["reader"], runs["raw"]
            label = f"online {profile}, {batch} user{'s' if batch > 1 else ''}"
            limit, p99_limit = (2, 1) if batch == 1 else (3, 5)
            figures += [
                Figure(f"{label}, p50", "ms", ours["p50_ms"], raw["p50_ms"], f"<= {limit}x raw",
                       ours["p50_ms"] <= limit * raw["p50_ms"], details=runs),
                Figure(f"{label}, p99", "ms", ours["p99_ms"], raw["p99_ms"], f"<= {p99_limit} ms",
                       ours["p99_ms"] <= p99_limit),
                Figure(f"{label}, stock get_online_features p50", "ms", runs["stock"]["p50_ms"],
                       ours["p50_ms"], "(reported: stock vs lean)", True),
                Figure(f"{label}, the reader's store read alone p50", "ms", runs["store_read"]["p50_ms"],
                       raw["p50_ms"], "(reported: the store's part of the reader's p50, vs raw)", True),
            ]  # fmt: skip
            if profile == "redis" and batch == 100:
                figures.append(week_later_figure(bench, scale, config, users, now, ours))
    return figures


def week_later_figure(bench: Bench, scale: float, config: Path, users, now: str, at_load: dict):
    """The same lookups a week after the load: the users whose windows changed since their stored
    row are computed from the ledger (62% of them at x10)."""
    later = (datetime.fromisoformat(now) + timedelta(days=7)).isoformat()
    week = online_lookup(bench, scale, config, users, 100, "reader", later)
    return Figure("online redis, 100 users, a week after the load, p50", "ms", week["p50_ms"],
                  at_load["p50_ms"], "(reported: vs at the load)", True, details=week)  # fmt: skip


def http_figures(bench: Bench, scale: float, config: Path, users, now: str) -> list[Figure]:
    """The lean endpoint (uvicorn, 2 workers) and ``feast serve``: one client, then 50 with wrk."""
    from devtools.bench.closed_loop import closed_loop_run
    from devtools.bench.cpu_shares import CpuSampler
    from devtools.bench.gc_scrape import gc_pause_samples, pauses_between
    from devtools.bench.load import pinned, wrk_run
    from devtools.bench.tcp_counters import counters_between, tcp_counters
    from devtools.local_servers import free_port, http_server
    from feature_repo.serving.service.service_metrics import MULTIPROCESS_DIR

    bodies = [{"feature_service": SERVICE, "entities": {"user_id": [u], "request_time": [now]},
               "as_of": now} for u in users]  # fmt: skip
    load_seconds = bench.sized(LOAD_SECONDS, 2)
    env = {**bench.data_env(scale), "FEAST_FS_YAML_FILE_PATH": str(config)}
    port = free_port()
    lean_command = ["uvicorn", "feature_repo.serving.service.scoring_service:app", "--host", "127.0.0.1",
                    "--port", str(port), "--workers", "2", "--no-access-log"]  # fmt: skip
    with http_server(lean_command, port, ready_path="/docs", env=env) as url:
        with CpuSampler() as one_cpu:
            one = bench.step("http", scale, url=url, users=users, calls=bench.sized(10_000, 50),
                             warm_up=bench.sized(300, 5), now=now)  # fmt: skip
        single = wrk_run(
            url + "/get-online-features", bodies, 1, bench.sized(15, 2), bench.work_dir
        )
        loaded = wrk_run(url + "/get-online-features", bodies, LOAD_CLIENTS, load_seconds,
                         bench.work_dir)  # fmt: skip
        alive = bench.step("http", scale, url=url, users=users[:10], calls=10, warm_up=0, now=now)
    port = free_port()
    pinned_command = [*lean_command]  # two workers on one core overlap their Redis round trips
    pinned_command[pinned_command.index("--port") + 1] = str(port)
    # /metrics adds up both workers (multiprocess mode): a scrape answered by one worker alone
    # would compare one worker's collections before with the other's after
    metrics_dir = bench.work_dir / "pinned-metrics"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    with (
        http_server(
            pinned_command,
            port,
            ready_path="/docs",
            prefix=pinned(SERVER_CORE),
            env={**env, MULTIPROCESS_DIR: str(metrics_dir)},
        ) as url,
        CpuSampler() as apart_cpu,
    ):
        gc_before, tcp_before = gc_pause_samples(url), tcp_counters()
        apart = wrk_run(url + "/get-online-features", bodies, LOAD_CLIENTS, load_seconds,
                        bench.work_dir, core=LOAD_CORE)  # fmt: skip
        apart_gc = pauses_between(gc_before, gc_pause_samples(url))
        apart_tcp = counters_between(tcp_before, tcp_counters())
        # the same load from a second client on wrk's core: is wrk's maximum the server's?
        second = closed_loop_run(url + "/get-online-features", bodies, LOAD_CLIENTS, load_seconds,
                                 bench.work_dir, core=LOAD_CORE)  # fmt: skip
    port = free_port()
    feast_command = ["feast", "-f", str(config), "serve", "-h", "127.0.0.1", "-p", str(port),
                     "--max-requests", "0", "--no-access-log"]  # fmt: skip
    with http_server(feast_command, port, ready_path="/health", env=bench.data_env(scale)) as url:
        feast_one = bench.step("http", scale, url=url, users=users, calls=bench.sized(2_000, 20),
                               warm_up=bench.sized(100, 2), now=now)  # fmt: skip
        feast_loaded = wrk_run(url + "/get-online-features", bodies, LOAD_CLIENTS, load_seconds,
                               bench.work_dir)  # fmt: skip
    throughput = loaded["requests_per_second"]
    no_collapse = throughput >= 0.9 * single["requests_per_second"]
    beats_feast = throughput >= 5 * feast_loaded["requests_per_second"]
    load_details = {"lean_50": loaded, "lean_1": single, "feast_serve_50": feast_loaded,
                    "alive_after": alive["calls"] == 10}  # fmt: skip
    stall = Figure(f"HTTP lean, {LOAD_CLIENTS} clients, max, server and wrk on separate cores", "ms",
                   apart["max_ms"], apart["p99_ms"], "max <= 3x p99 (pinned run)",
                   apart["max_ms"] <= 3 * apart["p99_ms"],
                   details={"pinned": apart, "unpinned": loaded, "server_core": SERVER_CORE,
                            "wrk_core": LOAD_CORE, "unpinned_max_over_p99": loaded["max_ms"] / loaded["p99_ms"],
                            "cpu": apart_cpu.shares().as_dict(), "server_workers": 2,
                            "gc_pauses": apart_gc, "tcp": apart_tcp, "second_client": second})  # fmt: skip
    second_stall = Figure(
        f"HTTP lean, {LOAD_CLIENTS} clients, max, server and a second client (asyncio) on separate cores",
        "ms", second["max_ms"], second["p99_ms"],
        "(reported: max vs p99 of the same load from closed_loop; wrk's stall or the server's?)",
        second["errors"] == 0, details=second,
    )  # fmt: skip
    return [
        Figure("HTTP lean, 1 user, p50", "ms", one["p50_ms"], feast_one["p50_ms"],
               "(reported; baseline feast serve)", True, details={"lean": one, "feast_serve": feast_one}),
        Figure("HTTP lean, 1 user, p99", "ms", one["p99_ms"], feast_one["p99_ms"], "<= 3 ms",
               one["p99_ms"] <= 3),
        Figure(f"HTTP lean, 1 user, max ({one['calls']:,} requests)", "ms", one["max_ms"], feast_one["max_ms"],
               "<= 50 ms", one["max_ms"] <= 50, details={"cpu": one_cpu.shares().as_dict()}),
        Figure(f"HTTP lean, {LOAD_CLIENTS} clients {load_seconds} s (wrk)", "requests/s", throughput,
               feast_loaded["requests_per_second"],
               "0 errors, >= 0.9x one client, >= 5x feast serve, alive after (stall: pinned figure)",
               loaded["errors"] == 0 and no_collapse and beats_feast and alive["calls"] == 10,
               details=load_details),
        stall,
        second_stall,
    ]  # fmt: skip


def main() -> None:
    """``python -m devtools.bench.serving_figures [SCALE]``: only these figures, on one data size
    (generated and built if needed), written to ``bench/serving_results.json``."""
    import contextlib
    import sys

    from rich.console import Console

    from devtools.bench import figures as f
    from devtools.bench.measure import machine
    from devtools.bench.report import print_table, write_results
    from devtools.local_servers import RedisServer
    from feature_repo.core.paths import REPO_ROOT

    scale = float(sys.argv[1]) if len(sys.argv) > 1 else 10.0
    console = Console(width=160)
    work_dir = REPO_ROOT / "data" / "bench"
    bench = Bench(work_dir, console)
    before = machine()
    bench.generate(scale)
    if not (bench.scale_dir(scale) / "features").exists():
        directory = bench.scale_dir(scale)
        bench.step("build", scale, raw=str(directory / "raw"), out=str(directory / "features"))
    with contextlib.ExitStack() as servers:
        redis = RedisServer(work_dir / "redis").start()
        servers.callback(redis.stop)
        configs = {
            "redis": bench.applied_store(scale, "redis", {"DELIVERY_FS_REDIS": redis.endpoint}),
            "sqlite": bench.applied_store(scale, "sqlite", {}),
        }
        end = bench.cli(scale, "delivery-fs", "data-horizon").strip()
        users = f.lookup_users(bench, scale, 2_000)
        figures = serving_figures(bench, scale, configs, users, end)
    report = {**machine(), "load_average_at_start": before["load_average"], "scales": [scale]}
    write_results(REPO_ROOT / "bench" / "serving_results.json", report, figures)
    print_table(console, figures)


if __name__ == "__main__":
    main()
