"""The model section: ``/score/churn`` beside the lean read alone, in process and over HTTP with the
served-feature log off and on, and the time of a drift report over a week of logs."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

from devtools.bench.report import Figure
from devtools.bench.runner import Bench, BenchError
from devtools.local_servers import BIN_DIR
from feature_repo.core.paths import REPO_ROOT

STEPS = "devtools.bench.model_steps"
HTTP_CALLS = 5_000
LOGGED_DAYS = 7  # the monitor's figure: a week of logs, every user scored once a day


def train(bench: Bench, scale: float, config: Path) -> str:
    """``delivery-fs train`` on the store ``config`` (the model registry lives in the size's data)."""
    env = {**os.environ, **bench.data_env(scale), "FEAST_FS_YAML_FILE_PATH": str(config)}
    done = subprocess.run([str(BIN_DIR / "delivery-fs"), "train"], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True)  # fmt: skip
    if done.returncode != 0:
        raise BenchError(f"delivery-fs train failed:\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return done.stdout


def model_figures(bench: Bench, scale: float, config: Path, users, now: str) -> list[Figure]:
    """The figures on an applied, loaded Redis store ``config``."""
    # /score/churn takes instants with a zone only; the data horizon is written in UTC without one
    instant = datetime.fromisoformat(now)
    now = (instant if instant.tzinfo else instant.replace(tzinfo=UTC)).isoformat()
    bench.console.print(train(bench, scale, config).strip().splitlines()[-1])
    figures = []
    for batch, p99_limit in ((1, 2.0), (100, 10.0)):
        calls, warm_up = bench.sized((3000, 300) if batch == 1 else (400, 40), (30, 3))
        runs = {mode: bench.step("churn", scale, module=STEPS, config=str(config), users=users,
                                 batch=batch, calls=calls, warm_up=warm_up, mode=mode, now=now)
                for mode in ("scorer", "reader")}  # fmt: skip
        ours, read = runs["scorer"], runs["reader"]
        label = f"churn score redis, {batch} user{'s' if batch > 1 else ''}"
        figures += [
            Figure(f"{label}, p50", "ms", ours["p50_ms"], read["p50_ms"],
                   "(reported; baseline the lean read alone)", True, details=runs),
            Figure(f"{label}, p99", "ms", ours["p99_ms"], read["p99_ms"], f"<= {p99_limit:g} ms",
                   ours["p99_ms"] <= p99_limit),
        ]  # fmt: skip
    figures += http_logging_figures(bench, scale, config, users, now)
    figures += monitor_figures(bench, scale, config, now)
    return figures


def monitor_figures(bench: Bench, scale: float, config: Path, now: str) -> list[Figure]:
    """``delivery-fs monitor`` over a week of logs: every user scored and logged once a day."""
    logged = bench.step("log_days", scale, module=STEPS, config=str(config), now=now,
                        days=LOGGED_DAYS)  # fmt: skip
    since = (datetime.fromisoformat(now) - timedelta(days=LOGGED_DAYS)).isoformat()
    run = bench.step("monitor_window", scale, module=STEPS, config=str(config), since=since,
                     until=now)  # fmt: skip
    complete = run["source"] == "logs" and run["rows"] == logged["rows"]
    return [
        Figure("monitor, a week of logs", "s", run["seconds"], None,
               "(reported; every logged row read)", complete, details={**run, **logged}),
        Figure("monitor, a week of logs, peak memory", "MB", run["peak_mb"], None,
               "<= 1024 MB", run["peak_mb"] <= 1024),
    ]  # fmt: skip


def http_logging_figures(bench: Bench, scale: float, config: Path, users, now: str):
    """``/score/churn`` over HTTP (2 workers), logging every request vs logging off."""
    from devtools.local_servers import free_port, http_server

    runs = {}
    for label, rate in (("off", "0"), ("on", "1")):
        env = {**bench.data_env(scale), "FEAST_FS_YAML_FILE_PATH": str(config),
               "DELIVERY_FS_LOG_SAMPLE_RATE": rate, "DELIVERY_FS_LOG_FLUSH_SECONDS": "2"}  # fmt: skip
        port = free_port()
        command = ["uvicorn", "feature_repo.serving.service.scoring_service:app", "--host", "127.0.0.1",
                   "--port", str(port), "--workers", "2", "--no-access-log"]  # fmt: skip
        with http_server(command, port, ready_path="/openapi.json", env=env) as url:
            runs[label] = bench.step("http_churn", scale, module=STEPS, url=url, users=users,
                                     calls=bench.sized(HTTP_CALLS, 50), warm_up=bench.sized(300, 5),
                                     now=now)  # fmt: skip
    off, on = runs["off"], runs["on"]
    return [
        Figure("HTTP /score/churn, 1 user, log on, p50", "ms", on["p50_ms"], off["p50_ms"],
               "<= 1.1x log off", on["p50_ms"] <= 1.1 * off["p50_ms"], details=runs),
        Figure("HTTP /score/churn, 1 user, log on, p99", "ms", on["p99_ms"], off["p99_ms"],
               "<= 1.1x log off", on["p99_ms"] <= 1.1 * off["p99_ms"]),
    ]  # fmt: skip
