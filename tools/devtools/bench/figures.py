"""Each group of figures: the measured step, its same-run baseline and its target."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from devtools.bench.report import Figure
from devtools.bench.runner import Bench

MEMORY_LIMIT_MB = 1024


def lookup_users(bench: Bench, scale: float, count: int, seed: int = 11) -> list[int]:
    users = pd.read_parquet(bench.scale_dir(scale) / "raw" / "users.parquet", columns=["user_id"])
    picked = np.random.default_rng(seed).choice(users["user_id"].to_numpy(), count, replace=False)
    return [int(u) for u in picked]


def sagemaker_figures(bench: Bench, scale: float, config: Path, settings: Path) -> list[Figure]:
    """The mirror's ingest against one PutRecord at a time, with the emulator's added latency."""
    bench.cli(scale, "delivery-fs", "sagemaker", "apply", "--config", str(settings),
              "--feature-store-yaml", str(config))  # fmt: skip
    result = bench.step("sagemaker", scale, config=str(config), settings=str(settings),
                        serial=bench.sized(100, 10), parallel=bench.sized(3000, 100))  # fmt: skip
    ratio = result["parallel_per_second"] / result["serial_per_second"]
    complete = result["failed"] == 0 and result["missing"] == 0
    return [
        Figure(f"SageMaker ingest, 20 ms per call, {result['workers']} workers", "records/s",
               result["parallel_per_second"], result["serial_per_second"],
               ">= 10x serial, no lost record", ratio >= 10 and complete, details=result)
    ]  # fmt: skip
