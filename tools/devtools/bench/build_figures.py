"""The figures of the pipeline: generate-data and build-features at each size (time against the
linear extrapolation of the smallest, peak memory), and the Spark build beside DuckDB's.

The steps run in their own processes (``devtools.bench.steps``), so each peak is its own. The
Spark step's peak is the Python driver's: in ``local[2]`` the JVM is a child process with its own
heap (``spark.driver.memory`` in ``profiles/spark/spark-defaults.conf``), not counted in it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from devtools.bench.report import Figure

if TYPE_CHECKING:
    from devtools.bench.runner import Bench

SEED = 42
LINEAR_LIMIT = 1.2
BUILD_PEAK_MB = {10.0: 2048, 100.0: 4096}  # at larger sizes, the x100 limit
GENERATE_PEAK_MB = 2048
SPARK_SCALE = 10.0
SMOKE_SCALES = [0.02, 0.05]  # `delivery-fs-bench --smoke`: about 250 and 620 users


def generate(raw: str, size: float) -> dict[str, Any]:
    """``generate-data`` on one data size (forced, so that it runs)."""
    from feature_repo.pipeline.write_raw import generate_raw_files

    start = time.perf_counter()
    result = generate_raw_files(Path(raw), seed=SEED, scale=size, force=True)
    return {"seconds": time.perf_counter() - start, "transactions": result.transactions}


def tables_equal(first: str, second: str) -> dict[str, Any]:
    """Whether two feature directories hold the same rows in every table (DuckDB, out of core)."""
    import duckdb

    from feature_repo.core.tables import ALL_TABLES

    connection = duckdb.connect()
    connection.execute("SET enable_progress_bar = false")
    differing = {}
    for table in ALL_TABLES:  # the serving ledger too
        a, b = (str(Path(d) / table.file_name).replace("'", "''") for d in (first, second))
        differing[table.name] = sum(
            connection.execute(
                f"SELECT count(*) FROM (SELECT * FROM read_parquet('{x}') "
                f"EXCEPT ALL SELECT * FROM read_parquet('{y}'))"
            ).fetchone()[0]
            for x, y in ((a, b), (b, a))
        )
    return {"differing_rows": differing}


STEPS = {step.__name__: step for step in (generate, tables_equal)}


def _linear(
    name: str, runs: dict[float, dict], scales: list[float], limit: float | None = LINEAR_LIMIT
) -> list[Figure]:
    """Time at each size against the smallest's times the size (``limit``: None, reported only)."""
    first = scales[0]
    figures = []
    for scale in scales[1:]:
        linear = runs[first]["seconds"] * scale / first
        figures.append(
            Figure(
                f"{name} x{scale:g} vs linear from x{first:g}",
                "s",
                runs[scale]["seconds"],
                linear,
                f"<= {limit}x linear" if limit else "(reported)",
                limit is None or runs[scale]["seconds"] <= limit * linear,
            )  # fmt: skip
        )
    return figures


def _peaks(name: str, runs: dict[float, dict], limits: dict[float, int], first: float):
    """Peak memory at each size against the smallest's (what memory would be if it grew linearly)."""
    figures = []
    for scale, limit in limits.items():
        if scale in runs:
            peak = runs[scale]["peak_mb"]
            figures.append(
                Figure(
                    f"{name} x{scale:g} peak memory",
                    "MB",
                    peak,
                    runs[first]["peak_mb"] * scale / first,
                    f"<= {limit / 1024:g} GB",
                    peak <= limit,
                )  # fmt: skip
            )
    return figures


def build_figures(bench: Bench, scales: list[float]) -> list[Figure]:
    """generate-data and build-features at each size."""
    generated, built = {}, {}
    for scale in scales:
        directory = bench.scale_dir(scale)
        generated[scale] = bench.step("generate", scale, raw=str(directory / "raw"), size=scale)
        built[scale] = bench.step(
            "build", scale, raw=str(directory / "raw"), out=str(directory / "features")
        )
    # generate-data's target is its memory; x1 takes about a second, mostly start-up
    figures = _linear("generate-data", generated, scales, limit=None)
    figures += _peaks(
        "generate-data", generated, {s: GENERATE_PEAK_MB for s in scales[1:]}, scales[0]
    )
    figures += _linear("build-features", built, scales)
    limits = {s: BUILD_PEAK_MB.get(s, BUILD_PEAK_MB[100.0]) for s in scales[1:]}
    figures += _peaks("build-features", built, limits, scales[0])
    return figures


def spark_figures(bench: Bench) -> list[Figure]:
    """The Spark build at x10 beside the DuckDB build of the same data, run just before it (the
    raw data is generated if missing); the tables are compared row for row."""
    spark_scale = bench.sized(SPARK_SCALE, SMOKE_SCALES[-1])
    directory = bench.scale_dir(spark_scale)
    bench.generate(spark_scale)
    duckdb_run = bench.step(
        "build", spark_scale, raw=str(directory / "raw"), out=str(directory / "features")
    )
    spark = bench.step(
        "build", spark_scale, raw=str(directory / "raw"), out=str(directory / "features-spark"),
        engine="spark",
    )  # fmt: skip
    compared = bench.step(
        "tables_equal", spark_scale, first=str(directory / "features"),
        second=str(directory / "features-spark"),
    )  # fmt: skip
    same = not any(compared["differing_rows"].values())
    return [Figure(
        f"build-features --engine spark x{spark_scale:g} (local[2]) vs duckdb", "s",
        spark["seconds"], duckdb_run["seconds"], "the same tables; time reported", same,
        details={"differing_rows": compared["differing_rows"], "driver_peak_mb": spark["peak_mb"],
                 "duckdb_peak_mb": duckdb_run["peak_mb"]},
    )]  # fmt: skip
