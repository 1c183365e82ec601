"""``build-features --engine spark``: reading, checking and every feature table on Spark.

The raw files are read and checked in Spark (``spark.raw_data``), the three tables computed in
Spark SQL (``spark.tables``, ``spark.order_stats``) and written by Spark, sorted as the default
engine writes them, into the run's staging directory. The quality gate then reads the written
files a row group at a time (nothing is collected to the driver) while the row groups are
concatenated into the table's one Parquet file, which is what the Feast sources read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from feature_repo.pipeline.build import GATE_STEP, BuildResult, build_feature_files, horizon_after
from feature_repo.quality.gate import QualityTally, enforce_report
from feature_repo.spark.raw_data import ROW, read_transactions, read_users
from feature_repo.spark.session import spark_session
from feature_repo.spark.tables import (
    transaction_features_frame,
    user_order_stats_frame_finished,
    user_profile_frame,
)
from feature_repo.tables import (
    FEATURE_TABLES,
    TRANSACTION_FEATURES,
    USER_ORDER_STATS,
    USER_PROFILE,
    FeatureTable,
)


def _concatenate(directory: Path, target: Path, table: FeatureTable, tally: QualityTally) -> None:
    """Spark's part files, in order, into one Parquet file, each row group checked on the way."""
    writer = None
    try:
        for part in sorted(directory.glob("part-*.parquet")):
            source = pq.ParquetFile(part)
            for group in range(source.num_row_groups):
                rows = source.read_row_group(group)
                tally.add({table.name: rows.to_pandas()})
                if writer is None:
                    writer = pq.ParquetWriter(target, rows.schema)
                writer.write_table(rows)
    finally:
        if writer is not None:
            writer.close()


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
    tally = QualityTally(as_of=horizon)
    written = staging / "spark"
    for table in FEATURE_TABLES:
        frames[table.name].orderBy(*table.order).write.parquet(str(written / table.name))
        _concatenate(written / table.name, staging / table.file_name, table, tally)
        shutil.rmtree(written / table.name)
    users.unpersist()
    transactions.unpersist()
    enforce_report(tally.report(), GATE_STEP)
    return horizon, dict(tally.rows)


def build_feature_files_on_spark(
    users_path: Path, transactions_path: Path, directory: Path, force: bool = False
) -> BuildResult:
    """``pipeline.build.build_feature_files`` with the tables built on Spark (same staging, same skip)."""
    return build_feature_files(
        users_path, transactions_path, directory, force=force, build_into=build_on_spark
    )
