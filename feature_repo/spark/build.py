"""``build-features --engine spark``: reading, checking and every feature table on Spark.

The raw files are read and checked in Spark (``spark.raw_data``), the three tables computed in
Spark SQL (``spark.tables``, ``spark.order_stats``) and written by Spark, sorted as the default
engine writes them, straight into each table's one Parquet file in the run's staging directory
(the sorted partitions coalesced into one output file, in order, by an executor; the driver only
renames it). The quality gate then reads the written files a row group at a time
(``quality.gate.check_feature_files``): nothing is collected to the driver.

Why one file per table rather than Spark's directory of part files: it is the layout every reader
of the tables expects (the Feast ``FileSource`` paths, the DuckDB offline store and its S3 variant,
``check-quality``, the S3 publication, the default engine's atomic swap, which renames files), so
both engines publish the same thing. The cost is one writing task per table instead of one per
partition; on a cluster with tables far beyond one machine, the next step is a directory per table
read through a glob by those readers.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pandas as pd

from feature_repo.core.tables import (
    FEATURE_TABLES,
    TRANSACTION_FEATURES,
    USER_ORDER_STATS,
    USER_PROFILE,
    FeatureTable,
)
from feature_repo.pipeline.build import GATE_STEP, BuildResult, build_feature_files, horizon_after
from feature_repo.pipeline.errors import PipelineError
from feature_repo.quality.gate import check_feature_files, enforce_report
from feature_repo.spark.raw_data import ROW, read_transactions, read_users
from feature_repo.spark.session import spark_session
from feature_repo.spark.tables import (
    transaction_features_frame,
    user_order_stats_frame_finished,
    user_profile_frame,
)

# Parquet row groups of Spark's output: the gate and the readers hold about one at a time
ROW_GROUP_BYTES = 32 * 1024 * 1024


def _write_one_file(frame, table: FeatureTable, staging: Path) -> None:
    """The table sorted by its order into ``staging/<table>.parquet``, written by Spark: the sorted
    (range) partitions are coalesced into one output file, which keeps their order."""
    written = staging / "spark" / table.name
    frame.orderBy(*table.order).coalesce(1).write.option(
        "parquet.block.size", ROW_GROUP_BYTES
    ).parquet(str(written))
    parts = sorted(written.glob("part-*.parquet"))
    if len(parts) != 1:
        raise PipelineError(f"Spark wrote {len(parts)} files for {table.name}, expected one.")
    os.replace(parts[0], staging / table.file_name)
    shutil.rmtree(written)


def build_on_spark(
    users_path: Path, transactions_path: Path, staging: Path
) -> tuple[pd.Timestamp, dict[str, int]]:
    """Write the feature tables into ``staging``; returns the data horizon and the row counts."""
    from pyspark.sql import functions as F

    spark = spark_session()
    spark.conf.set("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
    users = read_users(spark, users_path).drop(ROW).cache()
    transactions = read_transactions(spark, transactions_path, users).drop(ROW).cache()
    latest = max(
        users.agg(F.max("registration_date")).first()[0],
        transactions.agg(F.max("transaction_date")).first()[0],
    )
    horizon = horizon_after(pd.Timestamp(latest, tz="UTC"))
    frames = {
        USER_PROFILE.name: user_profile_frame(users, horizon),
        USER_ORDER_STATS.name: user_order_stats_frame_finished(users, transactions),
        TRANSACTION_FEATURES.name: transaction_features_frame(users, transactions),
    }
    for table in FEATURE_TABLES:
        _write_one_file(frames[table.name], table, staging)
    users.unpersist()
    transactions.unpersist()
    report = enforce_report(check_feature_files(staging, horizon), GATE_STEP)
    return horizon, dict(report.rows_checked)


def build_feature_files_on_spark(
    users_path: Path, transactions_path: Path, directory: Path, force: bool = False
) -> BuildResult:
    """``pipeline.build.build_feature_files`` with the tables built on Spark (same staging, same skip)."""
    return build_feature_files(
        users_path, transactions_path, directory, force=force, build_into=build_on_spark
    )
