"""The ``user_order_stats`` table on Spark: the same definition as ``transforms.order_stats``.

The default (DuckDB) path uses running totals and ASOF joins; Spark SQL has no ASOF join, so
here every change point is joined to the orders of its longest window instead.

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

from feature_repo.transforms.order_stats import finish_order_stats
from feature_repo.transforms.window_rule import SUMMED, TOP, WINDOW_DAYS

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession


TYPE_RANK_SPAN = 1 << 20  # more delivery types than this would break the alphabetical tie-break


def _per_type_aggregates(days: int) -> str:
    """Every additive aggregate of ``window_rule.SUMMED``, per delivery type, in the window."""
    inside = f"in_{days}d"
    return ",".join(
        f"\n        {'count(*)' if a.kind == 'count' else f'sum({a.source})'} "
        f"FILTER (WHERE {inside}) AS {a.column(days)}"
        for a in SUMMED
    )


def _window_aggregates(days: int) -> str:
    totals = ",".join(f"coalesce(sum(t.{a.column(days)}), 0) AS {a.column(days)}" for a in SUMMED)
    count = f"t.order_count_{days}d"
    return f"""{totals},
        max_by(t.delivery_type, {count} * {TYPE_RANK_SPAN} - t.type_rank)
            FILTER (WHERE {count} > 0) AS {TOP.column(days)}"""


def window_ctes() -> str:
    """The common table expressions up to ``windows`` (one row per user and change point with every
    window's counts and sums), in Spark SQL (a range join: Spark has no ASOF join), over ``users_frame``
    (user_id, registration_date) and ``transactions_frame`` (the typed transactions)."""
    longest = max(WINDOW_DAYS)
    expiries = "\n".join(
        f"UNION SELECT user_id, ts + INTERVAL {d} DAY FROM transactions" for d in WINDOW_DAYS
    )
    flags = ", ".join(f"t.ts > cp.ts - INTERVAL {d} DAY AS in_{d}d" for d in WINDOW_DAYS)
    return f"""
    type_ranks AS (
        SELECT delivery_type, dense_rank() OVER (ORDER BY delivery_type) AS type_rank
        FROM (SELECT DISTINCT delivery_type FROM transactions_frame) AS types
    ),
    transactions AS (
        SELECT f.user_id, f.transaction_date AS ts, f.amount, f.shipping_costs, f.discount_coupon,
               f.discount_coupon_amount, f.delivery_type, r.type_rank
        FROM transactions_frame f JOIN type_ranks r ON f.delivery_type = r.delivery_type
    ),
    change_points AS (
        SELECT user_id, registration_date AS ts FROM users_frame
        UNION SELECT user_id, ts FROM transactions
        {expiries}
    ),
    in_longest_window AS (
        SELECT cp.user_id, cp.ts AS cp_ts, t.amount, t.shipping_costs, t.discount_coupon,
               t.discount_coupon_amount, t.delivery_type, t.type_rank, {flags}
        FROM change_points cp
        JOIN transactions t
          ON t.user_id = cp.user_id AND t.ts <= cp.ts AND t.ts > cp.ts - INTERVAL {longest} DAY
    ),
    per_type AS (
        SELECT user_id, cp_ts, delivery_type, type_rank,
               {",".join(_per_type_aggregates(d) for d in WINDOW_DAYS)}
        FROM in_longest_window
        GROUP BY user_id, cp_ts, delivery_type, type_rank
    ),
    windows AS (
        SELECT cp.user_id, cp.ts AS event_timestamp, {",".join(_window_aggregates(d) for d in WINDOW_DAYS)}
        FROM change_points cp
        LEFT JOIN per_type t ON t.user_id = cp.user_id AND t.cp_ts = cp.ts
        GROUP BY cp.user_id, cp.ts
    )"""


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
