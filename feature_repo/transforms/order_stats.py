"""Trailing-window order statistics per user, one row each time a value changes.

A transaction at instant ``s`` counts in a window of ``W`` days at instants ``t`` with
``s <= t < s + W`` (the window is ``(t - W, t]``). Values change at registration (all
counts start at 0), at every transaction and at every instant a transaction leaves a
window (``s + W``), so a row is emitted at each of those instants: a user who stops
ordering sees the 7-day count fall to 0 exactly seven days after the last order.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from feature_repo.transforms.arithmetic import safe_ratio

WINDOW_DAYS: tuple[int, ...] = (7, 30, 90)
MONEY_DECIMALS = 2
TYPE_RANK_SPAN = 1 << 20  # more delivery types than this would break the alphabetical tie-break


def _per_type_aggregates(days: int) -> str:
    inside = f"in_{days}d"
    return f"""
        count(*) FILTER (WHERE {inside}) AS order_count_{days}d,
        sum(amount) FILTER (WHERE {inside}) AS spend_sum_{days}d,
        sum(shipping_costs) FILTER (WHERE {inside}) AS shipping_costs_sum_{days}d,
        sum(discount_coupon) FILTER (WHERE {inside}) AS coupon_count_{days}d,
        sum(discount_coupon_amount) FILTER (WHERE {inside}) AS discount_amount_sum_{days}d"""


def _window_aggregates(days: int) -> str:
    sums = ("order_count", "spend_sum", "shipping_costs_sum", "coupon_count", "discount_amount_sum")
    totals = ",".join(f"coalesce(sum(t.{name}_{days}d), 0) AS {name}_{days}d" for name in sums)
    return f"""{totals},
        max_by(t.delivery_type, t.order_count_{days}d * {TYPE_RANK_SPAN} - t.type_rank)
            FILTER (WHERE t.order_count_{days}d > 0) AS top_delivery_type_{days}d"""


def window_ctes() -> str:
    """The common table expressions up to ``windows`` (one row per user and change point with every
    window's counts and sums), in SQL that DuckDB and Spark both run, over ``users_frame``
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
               count(*) OVER (PARTITION BY user_id ORDER BY ts
                              RANGE BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS lifetime_order_count
        FROM transactions
        QUALIFY row_number() OVER (PARTITION BY user_id, ts) = 1
    )
    SELECT w.*, h.ts AS last_order_at, coalesce(h.lifetime_order_count, 0) AS lifetime_order_count
    FROM windows w
    ASOF LEFT JOIN history h ON w.user_id = h.user_id AND w.event_timestamp >= h.ts
    ORDER BY w.user_id, w.event_timestamp
    """


def user_order_stats_table(users: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """Rows for the ``user_order_stats`` view, from typed users and transactions.

    Per window ``W`` in 7, 30, 90 days: order_count, spend_sum, spend_mean, shipping_costs_sum,
    coupon_count (the 0/1 flag summed), coupon_rate, discount_amount_sum, top_delivery_type
    (most orders; ties go to the alphabetically first). Plus last_order_at and
    lifetime_order_count. Means and rates are missing (NaN) when the window holds no order.
    """
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET enable_progress_bar = false")
        connection.register("users_frame", users[["user_id", "registration_date"]])
        connection.register("transactions_frame", transactions)
        table = connection.execute(_query()).df()
    finally:
        connection.close()
    return finish_order_stats(table)


def finish_order_stats(table: pd.DataFrame) -> pd.DataFrame:
    """From per-window counts and sums (any engine's) to the view's rows: sums rounded to cents,
    means and rates, integer and UTC timestamp types, the view's column order, sorted by user and time.
    """
    table = table.sort_values(["user_id", "event_timestamp"], ignore_index=True)
    for days in WINDOW_DAYS:
        # Sums are rounded to cents first: DuckDB and Spark add floats in no fixed order, and the
        # last bits of an unrounded sum would make means differ between two builds of the same data.
        for money in (f"spend_sum_{days}d", f"shipping_costs_sum_{days}d"):
            table[money] = table[money].round(MONEY_DECIMALS)
        table[f"spend_mean_{days}d"] = safe_ratio(
            table[f"spend_sum_{days}d"], table[f"order_count_{days}d"]
        )
        table[f"coupon_rate_{days}d"] = safe_ratio(
            table[f"coupon_count_{days}d"], table[f"order_count_{days}d"]
        )
    for column in table.columns:
        if column.startswith(
            ("order_count", "coupon_count", "discount_amount_sum", "lifetime_order")
        ):
            table[column] = table[column].astype("int64")
    for column in ("event_timestamp", "last_order_at"):
        table[column] = pd.to_datetime(table[column], utc=True).astype("datetime64[us, UTC]")
    return table[_column_order()]


def _column_order() -> list[str]:
    per_window = [
        "order_count", "spend_sum", "spend_mean", "shipping_costs_sum", "coupon_count",
        "coupon_rate", "discount_amount_sum", "top_delivery_type",
    ]  # fmt: skip
    windowed = [f"{name}_{days}d" for days in WINDOW_DAYS for name in per_window]
    return ["user_id", "event_timestamp", *windowed, "last_order_at", "lifetime_order_count"]
