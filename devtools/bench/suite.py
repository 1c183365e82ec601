"""The whole run of `delivery-fs-bench`: data sizes, servers, stores, every figure, the report."""

from __future__ import annotations

import contextlib
from pathlib import Path

import yaml
from rich.console import Console

from devtools.bench import figures as f
from devtools.bench.build_figures import build_figures
from devtools.bench.measure import machine
from devtools.bench.offline_figures import offline_figures
from devtools.bench.push_figures import push_figures
from devtools.bench.report import Figure, print_table, write_results
from devtools.bench.runner import Bench
from devtools.bench.serving_figures import serving_figures
from devtools.local_servers import MotoServer, RedisServer, start_emulator

STORE_SCALE = (
    10.0  # about 124,500 users and 2.2 million transactions: the size of the stock figures
)
HISTORICAL_ROWS = [100_000, 1_000_000]
EMULATOR_LATENCY_MS = 20
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",  # the emulator and moto only; never real credentials
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REQUEST_CHECKSUM_CALCULATION": "WHEN_REQUIRED",
}
BUCKET = "delivery-fs-bench"


def run_bench(scales: list[float], results: Path, work_dir: Path, console: Console) -> list[Figure]:
    bench = Bench(work_dir, console)
    before = machine()
    console.print(f"machine: {before}")
    console.print(f"build-features at x{', x'.join(f'{s:g}' for s in scales)}")
    figures = build_figures(bench, scales)
    store_scale = STORE_SCALE if STORE_SCALE in scales else max(scales)
    with contextlib.ExitStack() as servers:
        redis = RedisServer(work_dir / "redis").start()
        servers.callback(redis.stop)
        configs = {
            "redis": bench.applied_store(
                store_scale, "redis", {"DELIVERY_FS_REDIS": redis.endpoint}
            ),
            "sqlite": bench.applied_store(store_scale, "sqlite", {}),
        }
        end = _horizon(bench, store_scale)
        users = f.lookup_users(bench, store_scale, 2_000)
        console.print(f"serving and materialization at x{store_scale:g}, up to {end}")
        figures += serving_figures(bench, store_scale, configs, users, end)
        console.print("offline store: materialization pull, historical retrieval")
        figures += offline_figures(bench, store_scale, configs["sqlite"], end, HISTORICAL_ROWS)
        console.print(f"fresh features: pushes on redis at x{scales[0]:g}")
        figures += push_figures(bench, scales[0], redis.endpoint)
        console.print("SageMaker ingestion")
        settings = _sagemaker(bench, servers, scales[0], work_dir)
        sqlite_small = bench.applied_store(scales[0], "sqlite", {})
        figures += f.sagemaker_figures(bench, scales[0], sqlite_small, settings)
    after = machine()
    report = {**after, "load_average_at_start": before["load_average"], "scales": scales}
    write_results(results, report, figures)
    print_table(console, figures)
    console.print(f"wrote {results}")
    return figures


def _horizon(bench: Bench, scale: float) -> str:
    return bench.cli(scale, "delivery-fs", "data-horizon").strip()


def _sagemaker(bench: Bench, servers: contextlib.ExitStack, scale: float, work_dir: Path) -> Path:
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
