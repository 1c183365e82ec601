"""`generate-data` and `build-features` as whole jobs, callable from anywhere (the CLI, a scheduler,
a notebook, the benchmark) with the same steps the commands take.

- ``generate_data``: the raw files, then (when the data location is on S3) published there.
- ``build_features``: the inputs first (from S3, the raw files when the working copy has none and
  every pushed batch it lacks), the raw transactions merged with the pushed orders (each id once),
  the tables on DuckDB or Spark (the order ledger included), then published to S3.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from feature_repo.core.paths import features_dir, raw_dir
from feature_repo.pipeline.build import ENGINES, BuildResult, build_feature_files
from feature_repo.pipeline.errors import PipelineError
from feature_repo.pipeline.pushed_orders import with_pushed
from feature_repo.pipeline.raw_data import raw_file
from feature_repo.pipeline.remote import fetch_inputs, publish_features, publish_raw
from feature_repo.pipeline.write_raw import GenerateResult, generate_raw_files


@dataclass(frozen=True)
class Generated:
    result: GenerateResult
    published: bool  # to the S3 data location


@dataclass(frozen=True)
class Built:
    result: BuildResult
    users: Path
    transactions: Path  # what was read: the raw transactions with the pushed orders
    published: bool  # to the S3 data location


def generate_data(
    seed: int = 42,
    scale: float = 1.0,
    out: Path | None = None,
    force: bool = False,
    hold_out_after: pd.Timestamp | None = None,
) -> Generated:
    """Raw files of ``scale`` (default location: the data directory's ``raw``, published to S3
    when the data is there; ``out`` writes elsewhere and publishes nothing)."""
    if scale <= 0:
        raise PipelineError(f"--scale must be positive, got {scale}")
    result = generate_raw_files(
        out or raw_dir(), seed=seed, scale=scale, force=force, hold_out_after=hold_out_after
    )
    return Generated(result, out is None and publish_raw())


def build_features(
    users: Path | None = None,
    transactions: Path | None = None,
    out: Path | None = None,
    force: bool = False,
    engine: str = "duckdb",
) -> Built:
    """The feature tables from the data location's raw files and pushed orders (or the files
    given), on ``engine``; published to S3 when the data is there and ``out`` is not given."""
    if engine not in ENGINES:
        raise PipelineError(f"Unknown engine {engine!r}: use one of {', '.join(ENGINES)}.")
    fetch_inputs()
    users_path = users or raw_file(raw_dir(), "users")
    transactions_path = transactions or with_pushed(raw_file(raw_dir(), "transactions"), raw_dir())
    build = build_feature_files
    if engine == "spark":
        from feature_repo.spark.build import build_feature_files_on_spark as build
    result = build(users_path, transactions_path, out or features_dir(), force=force)
    return Built(result, users_path, transactions_path, out is None and publish_features())
