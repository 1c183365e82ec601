"""``build-features --engine spark``: the feature tables computed on Spark."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from feature_repo.pipeline.builders import build_tables
from feature_repo.pipeline.raw_data import read_transactions, read_users
from feature_repo.quality.gate import enforce
from feature_repo.spark.order_stats import user_order_stats_table
from feature_repo.spark.session import spark_session
from feature_repo.tables import FEATURE_TABLES, USER_ORDER_STATS


def build_on_spark(
    users_path: Path, transactions_path: Path, staging: Path
) -> tuple[pd.Timestamp, dict[str, int]]:
    users = read_users(users_path)
    transactions = read_transactions(transactions_path, users)
    latest = max(users["registration_date"].max(), transactions["transaction_date"].max())
    horizon = (latest.floor("D") + pd.Timedelta(days=1)).tz_convert("UTC")
    tables = build_tables(users, transactions, horizon)
    tables[USER_ORDER_STATS.name] = user_order_stats_table(spark_session(), users, transactions)
    enforce(tables, step="Writing the feature tables", as_of=horizon)
    for table in FEATURE_TABLES:
        tables[table.name].to_parquet(staging / table.file_name, index=False)
    return horizon, {name: len(frame) for name, frame in tables.items()}
