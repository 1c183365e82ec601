"""The ``user_order_stats`` table on Spark: the same definition as ``transforms.order_stats``.

The heavy part (every change point joined to the orders of its longest window, and the
aggregation per window) runs as Spark SQL, distributed by user. Spark has no ASOF join, so the
latest order at or before each change point (``last_order_at``, ``lifetime_order_count``) is a
running ``last(... IGNORE NULLS)`` over change points and order instants merged in time order.
The small per-row finishing (rounding to cents, means, rates, types) is the default path's
``finish_order_stats``, so both engines round and divide alike.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from feature_repo.transforms.order_stats import finish_order_stats, window_ctes

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


def _query() -> str:
    return f"""
    WITH {window_ctes()},
    history AS (
        SELECT user_id, ts,
               sum(count(*)) OVER (PARTITION BY user_id ORDER BY ts
                                   ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS lifetime_order_count
        FROM transactions
        GROUP BY user_id, ts
    ),
    merged AS (
        SELECT user_id, ts, 0 AS is_change_point, ts AS order_ts, lifetime_order_count
        FROM history
        UNION ALL
        SELECT user_id, event_timestamp, 1, CAST(NULL AS TIMESTAMP), CAST(NULL AS BIGINT)
        FROM windows
    ),
    latest_order AS (
        SELECT user_id, ts, is_change_point,
               last(order_ts, true) OVER running AS last_order_at,
               coalesce(last(lifetime_order_count, true) OVER running, 0) AS lifetime_order_count
        FROM merged
        WINDOW running AS (PARTITION BY user_id ORDER BY ts, is_change_point
                           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
    )
    SELECT w.*, l.last_order_at, l.lifetime_order_count
    FROM windows w
    JOIN latest_order l
      ON l.user_id = w.user_id AND l.ts = w.event_timestamp AND l.is_change_point = 1
    """


def user_order_stats_frame(users: DataFrame, transactions: DataFrame) -> DataFrame:
    """Per-window counts and sums, last order and lifetime count at every change point (Spark)."""
    spark = users.sparkSession
    users.select("user_id", "registration_date").createOrReplaceTempView("users_frame")
    transactions.createOrReplaceTempView("transactions_frame")
    return spark.sql(_query())


def user_order_stats_table(
    spark: SparkSession, users: pd.DataFrame, transactions: pd.DataFrame
) -> pd.DataFrame:
    """Rows for the ``user_order_stats`` view computed on Spark, equal to the default path's."""
    counts = user_order_stats_frame(
        spark.createDataFrame(users[["user_id", "registration_date"]]),
        spark.createDataFrame(transactions),
    ).toPandas()
    return finish_order_stats(counts)
