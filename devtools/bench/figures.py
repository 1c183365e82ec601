"""Each group of figures: the measured step, its same-run baseline, the target of issue 7."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from devtools.bench.report import Figure
from devtools.bench.runner import Bench

MEMORY_LIMIT_MB = 1024
BUILD_MEMORY_LIMIT_MB = 4096


def build_figures(bench: Bench, scales: list[float]) -> list[Figure]:
    """build-features at each size against the linear extrapolation of the smallest."""
    runs = {}
    for scale in scales:
        bench.generate(scale)
        directory = bench.scale_dir(scale)
        runs[scale] = bench.step(
            "build", scale, raw=str(directory / "raw"), out=str(directory / "features")
        )
    first = scales[0]
    figures = []
    for scale in scales[1:]:
        linear = runs[first]["seconds"] * scale / first
        ratio = runs[scale]["seconds"] / linear
        figures.append(
            Figure(
                f"build-features x{scale:g} vs linear from x{first:g}",
                "s",
                runs[scale]["seconds"],
                linear,
                "<= 1.2x linear",
                ratio <= 1.2,
            )  # fmt: skip
        )
    largest = scales[-1]
    figures.append(
        Figure(
            f"build-features x{largest:g} peak memory",
            "MB",
            runs[largest]["peak_mb"],
            runs[first]["peak_mb"] * largest / first,
            "<= 4 GB at x100",
            runs[largest]["peak_mb"] <= BUILD_MEMORY_LIMIT_MB,
        )  # fmt: skip
    )
    return figures


def lookup_users(bench: Bench, scale: float, count: int, seed: int = 11) -> list[int]:
    users = pd.read_parquet(bench.scale_dir(scale) / "raw" / "users.parquet", columns=["user_id"])
    picked = np.random.default_rng(seed).choice(users["user_id"].to_numpy(), count, replace=False)
    return [int(u) for u in picked]


def historical_figures(bench: Bench, scale: float, config: Path, sizes: list[int]):
    """get_historical_features through the main service against one DuckDB ASOF join."""
    figures = []
    for rows in sizes:
        frames = {
            m: bench.scale_dir(scale) / f"historical-{m}-{rows}.parquet" for m in ("feast", "raw")
        }
        runs = {
            mode: bench.step("historical", scale, config=str(config), rows=rows, mode=mode,
                             out=str(path))
            for mode, path in frames.items()
        }  # fmt: skip
        check = bench.step("compare_frames", scale, feast_frame=str(frames["feast"]),
                           raw_frame=str(frames["raw"]))  # fmt: skip
        same = check["rows_feast"] == check["rows_raw"] == rows and check["differing_values"] == 0
        feast, raw = runs["feast"], runs["raw"]
        figures += [
            Figure(f"historical {rows:,} rows", "s", feast["seconds"], raw["seconds"],
                   "<= 1.2x raw, same rows and values",
                   feast["seconds"] <= 1.2 * raw["seconds"] and same, details=check),
            Figure(f"historical {rows:,} rows peak memory", "MB", feast["peak_mb"],
                   raw["peak_mb"], "<= raw's", feast["peak_mb"] <= raw["peak_mb"]),
        ]  # fmt: skip
        for path in frames.values():
            path.unlink(missing_ok=True)
    return figures


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
