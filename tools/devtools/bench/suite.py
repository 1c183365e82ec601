"""The whole run of `delivery-fs-bench`: data sizes, servers, stores, every figure, the report.

The run is made of named sections (``SECTIONS``), run in that order; ``--only`` runs some of them
and merges their figures into the existing results (``report.merge_results``), so that a long x100
build and the serving figures can be measured at different times. A section prepares what it
needs (data of a size, servers, applied stores) through the ``Session`` it is given.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path

import yaml
from rich.console import Console

from devtools.bench import figures as f
from devtools.bench.build_figures import build_figures, spark_figures
from devtools.bench.measure import machine, wait_for_quiet_machine
from devtools.bench.mixed_figures import mixed_figures
from devtools.bench.model_figures import model_figures
from devtools.bench.offline_figures import offline_figures
from devtools.bench.push_figures import push_figures
from devtools.bench.report import Figure, merge_results, print_table, write_results
from devtools.bench.runner import Bench
from devtools.bench.scale_figures import PROFILES as SCALE_PROFILES
from devtools.bench.scale_figures import online_scale_figures
from devtools.bench.serving_figures import serving_figures
from devtools.local_servers import MotoServer, RedisServer, start_emulator

STORE_SCALE = (
    10.0  # about 124,500 users and 2.2 million transactions: the size of the stock figures
)
HISTORICAL_ROWS = [100_000, 1_000_000]
SMOKE_HISTORICAL_ROWS = [1_000, 10_000]
EMULATOR_LATENCY_MS = 20
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",  # the emulator and moto only; never real credentials
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REQUEST_CHECKSUM_CALCULATION": "WHEN_REQUIRED",
}
BUCKET = "delivery-fs-bench"


class Session:
    """What the sections of one run share, each piece prepared the first time one asks for it."""

    def __init__(self, bench: Bench, scales: list[float], servers: contextlib.ExitStack) -> None:
        self.bench, self.scales, self.servers = bench, scales, servers
        self.store_scale = STORE_SCALE if STORE_SCALE in scales else max(scales)
        self.built: set[float] = set()  # sizes whose data and tables this run made

    def data(self, scale: float) -> None:
        """Raw data and feature tables of one size (both skipped when already up to date)."""
        if scale not in self.built:
            self.bench.generate(scale)
            self.bench.cli(scale, "delivery-fs", "build-features")
            self.built.add(scale)

    @cached_property
    def redis(self) -> RedisServer:
        redis = RedisServer(self.bench.work_dir / "redis").start()
        self.servers.callback(redis.stop)
        return redis

    def store(self, profile: str, scale: float | None = None) -> Path:
        """A fresh registry and online store of ``profile`` (``redis`` or ``sqlite``), applied."""
        scale = self.store_scale if scale is None else scale
        self.data(scale)
        variables = {"DELIVERY_FS_REDIS": self.redis.endpoint} if profile == "redis" else {}
        return self.bench.applied_store(scale, profile, variables)

    @cached_property
    def end(self) -> str:
        self.data(self.store_scale)
        return self.bench.cli(self.store_scale, "delivery-fs", "data-horizon").strip()


def _build(session: Session) -> list[Figure]:
    figures = build_figures(session.bench, session.scales)
    session.built.update(session.scales)
    return figures


def _spark(session: Session) -> list[Figure]:
    return spark_figures(session.bench)


def _serving(session: Session) -> list[Figure]:
    configs = {profile: session.store(profile) for profile in ("redis", "sqlite")}
    users = f.lookup_users(session.bench, session.store_scale, session.bench.sized(2_000, 200))
    session.bench.console.print(f"serving at x{session.store_scale:g}, up to {session.end}")
    return serving_figures(session.bench, session.store_scale, configs, users, session.end)


def _offline(session: Session) -> list[Figure]:
    config = session.store("sqlite")
    rows = session.bench.sized(HISTORICAL_ROWS, SMOKE_HISTORICAL_ROWS)
    return offline_figures(session.bench, session.store_scale, config, session.end, rows)


def _push(session: Session) -> list[Figure]:
    # a Redis of its own: the serving section's store (another data size, same project) would
    # make users of the held-out orders known online
    redis = RedisServer(session.bench.work_dir / "redis-push").start()
    session.servers.callback(redis.stop)
    return push_figures(session.bench, session.scales[0], redis.endpoint)


def _mixed(session: Session) -> list[Figure]:
    # a Redis of its own, for the same reason as the push section's
    redis = RedisServer(session.bench.work_dir / "redis-mixed").start()
    session.servers.callback(redis.stop)
    return mixed_figures(session.bench, session.scales[0], redis.endpoint)


def _model(session: Session) -> list[Figure]:
    config = session.store("redis")
    for step in ("materialize", "load_ledger"):
        session.bench.step(step, session.store_scale, config=str(config), end=session.end)
    users = f.lookup_users(session.bench, session.store_scale, session.bench.sized(2_000, 200))
    return model_figures(session.bench, session.store_scale, config, users, session.end)


def _sagemaker(session: Session) -> list[Figure]:
    scale = session.scales[0]
    settings = _sagemaker_servers(session.bench, session.servers, session.bench.work_dir)
    config = session.store("sqlite", scale)
    return f.sagemaker_figures(session.bench, scale, config, settings)


def _online_scale(session: Session) -> list[Figure]:
    """The largest size's online store against a size ten times smaller (x100 against x10 with
    ``--scale-max 100``; a smoke run's two sizes); without an x100 run, nothing to measure."""
    bench, large = session.bench, max(session.scales)
    smaller = [s for s in session.scales if s <= large / 10 or (bench.smoke and s < large)]
    if not smaller or not (bench.smoke or large >= 100):
        bench.console.print("  online at scale: needs --scale-max 100 (x100 against x10)")
        return []
    scales = (*smaller, large)  # all measured (the capacity model fits them)
    stores, clients, users, ends = {}, {}, {}, {}
    for scale in scales:
        session.data(scale)
        redis = RedisServer(bench.work_dir / f"redis-x{scale:g}").start()
        session.servers.callback(redis.stop)
        clients[scale] = redis.client()
        stores[scale] = {
            profile: bench.applied_store(
                scale, profile, {"DELIVERY_FS_REDIS": redis.endpoint} if profile == "redis" else {}
            )
            for profile in SCALE_PROFILES
        }
        users[scale] = f.lookup_users(bench, scale, bench.sized(2_000, 200))
        ends[scale] = bench.cli(scale, "delivery-fs", "data-horizon").strip()
    return online_scale_figures(bench, stores, clients, users, ends)


# name -> the section's figures, in the order of a whole run (another section: one line here)
SECTIONS: dict[str, Callable[[Session], list[Figure]]] = {
    "build": _build,
    "spark": _spark,
    "serving": _serving,
    "offline": _offline,
    "push": _push,
    "mixed": _mixed,
    "model": _model,
    "sagemaker": _sagemaker,
    "online-scale": _online_scale,
}


def run_bench(
    scales: list[float],
    results: Path,
    work_dir: Path,
    console: Console,
    only: list[str] | None = None,
    smoke: bool = False,
) -> list[Figure]:
    """Run the sections (all, or ``only`` those, merged into ``results``) and write the results.

    A section that fails ends the run, and the figures of the sections before it are merged into
    ``results`` first (the failed section's earlier figures stay as they were)."""
    bench = Bench(work_dir, console, smoke=smoke)
    if not smoke:
        wait_for_quiet_machine(console.print)
    before = machine()
    console.print(f"machine: {before}")
    figures: list[Figure] = []
    complete = False
    try:
        with contextlib.ExitStack() as servers:
            session = Session(bench, scales, servers)
            for name, section in SECTIONS.items():
                if only is None or name in only:
                    console.print(f"[bold]{name}[/] (x{', x'.join(f'{s:g}' for s in scales)})")
                    figures += _stamped(section, session, name)
        complete = True
    finally:
        after = machine()
        report = {**after, "load_average_at_start": before["load_average"], "scales": scales,
                  "smoke": smoke}  # fmt: skip
        if complete and only is None:
            write_results(results, report, figures, largest_scale=max(scales))
        elif figures:
            merge_results(results, report, figures)
        if figures:
            print_table(console, figures)
            console.print(f"wrote {results}" + ("" if complete else " (the run failed)"))
    return figures


def _stamped(section: Callable[[Session], list[Figure]], session: Session, name: str):
    """The section's figures, each with its section, when it was measured and the load average
    (1, 5, 15 minutes) at the start and the end of the section."""
    start = [round(x, 2) for x in os.getloadavg()]
    figures = section(session)
    end = [round(x, 2) for x in os.getloadavg()]
    measured = datetime.now(UTC).isoformat(timespec="seconds")
    for figure in figures:
        figure.section, figure.measured_at = name, measured
        figure.load_average = {"start": start, "end": end}
    return figures


def _sagemaker_servers(bench: Bench, servers: contextlib.ExitStack, work_dir: Path) -> Path:
    """moto's S3 and the emulator with its added latency; the settings file; the feature groups."""
    import boto3

    moto = MotoServer(work_dir / "moto", env=FAKE_AWS).start()
    servers.callback(moto.stop)
    boto3.client(
        "s3",
        endpoint_url=moto.url,
        region_name=FAKE_AWS["AWS_DEFAULT_REGION"],
        aws_access_key_id=FAKE_AWS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=FAKE_AWS["AWS_SECRET_ACCESS_KEY"],
    ).create_bucket(Bucket=BUCKET)
    process, url = start_emulator(
        moto.url, work_dir / "emulator.log", "--latency-ms", str(EMULATOR_LATENCY_MS),
        "--flush-seconds", "3600", env=FAKE_AWS,
    )  # fmt: skip
    servers.callback(_stop, process)
    bench.env.update(
        {**FAKE_AWS, "AWS_ENDPOINT_URL_SAGEMAKER": url,
         "AWS_ENDPOINT_URL_SAGEMAKER_FEATURESTORE_RUNTIME": url, "AWS_ENDPOINT_URL_S3": moto.url}
    )  # fmt: skip
    settings = work_dir / "sagemaker.yaml"
    settings.write_text(
        yaml.safe_dump(
            {"poll_seconds": 0.05, "create_timeout_seconds": 60, "views": ["user_profile"],
             "offline_store": {"s3_uri": f"s3://{BUCKET}/offline"}}
        )
    )  # fmt: skip
    return settings


def _stop(process) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except Exception:  # noqa: BLE001 - it is killed then
        process.kill()
