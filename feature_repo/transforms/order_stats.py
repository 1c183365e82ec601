"""Trailing-window order statistics per user, one row each time a value changes.

A transaction at instant ``s`` counts in a window of ``W`` days at instants ``t`` with
``s <= t < s + W`` (the window is ``(t - W, t]``). Values change at registration (all
counts start at 0), at every transaction and at every instant a transaction leaves a
window (``s + W``), so a row is emitted at each of those instants: a user who stops
ordering sees the 7-day count fall to 0 exactly seven days after the last order.

Window sums are differences of running totals: the total up to ``t`` minus the total up to
``t - W``, each found with an ASOF join. Money is summed in integer cents, so the differences
are exact. The work grows with the number of transactions (times delivery types per user for
the top type: one running count per delivery type), not with transactions times window length
as a range join does.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd

from feature_repo.transforms.arithmetic import safe_ratio

WINDOW_DAYS: tuple[int, ...] = (7, 30, 90)
MONEY_DECIMALS = 2
TRANSACTIONS_PER_PART = 25_000  # users are processed in parts of about this many orders (memory)
CENTS = 10**MONEY_DECIMALS
# running total -> expression of the transactions per instant
TOTALS = {
    "orders": "count(*)",
    "spend": f"sum(round(amount * {CENTS})::BIGINT)",
    "shipping": f"sum(round(shipping_costs * {CENTS})::BIGINT)",
    "coupons": "sum(discount_coupon)::BIGINT",
    "discount": "sum(discount_coupon_amount)::BIGINT",
}
WINDOW_SUMS = {
    "order_count": "orders",
    "spend_sum": "spend",
    "shipping_costs_sum": "shipping",
    "coupon_count": "coupons",
    "discount_amount_sum": "discount",
}
MONEY = ("spend", "shipping")


def _running(partition: str, totals: dict[str, str]) -> str:
    """Running totals per ``partition``, one row per instant with orders (the instant included)."""
    running = ", ".join(
        f"sum({name}) OVER (PARTITION BY {partition} ORDER BY ts ROWS UNBOUNDED PRECEDING) AS {name}"
        for name in totals
    )
    per_instant = ", ".join(f"{expression} AS {name}" for name, expression in totals.items())
    return f"""SELECT {partition}, ts, {running}
        FROM (SELECT {partition}, ts, {per_instant} FROM transactions GROUP BY {partition}, ts)"""


def _asof(alias: str, table: str, keys: tuple[str, ...], instant: str) -> str:
    equal = " AND ".join(f"cp.{k} = {alias}.{k}" for k in keys)
    return f"ASOF LEFT JOIN {table} {alias} ON {equal} AND cp.{instant} >= {alias}.ts"


def _in_window(alias: str, days: int, total: str) -> str:
    return f"(coalesce({alias}.{total}, 0) - coalesce(before_{days}d.{total}, 0))"


def _window_sums(days: int) -> str:
    sums = []
    for column, total in WINDOW_SUMS.items():
        value = _in_window("upto", days, total)
        if total in MONEY:
            value = f"{value} / {CENTS}.0"
        sums.append(f"{value} AS {column}_{days}d")
    return ", ".join(sums)


def _type_counts(days: int, type_count: int) -> str:
    """Orders of each delivery type in the window, one column per type rank."""
    return ", ".join(
        f"{_in_window('upto', days, f'type_{rank}')} AS {_type_column(rank, days)}"
        for rank in range(1, type_count + 1)
    )


def _type_column(rank: int, days: int) -> str:
    return f"_type_{rank}_{days}d"


def _query(type_count: int) -> str:
    expiries = "\n".join(
        f"UNION SELECT user_id, ts + INTERVAL {d} DAY FROM transactions" for d in WINDOW_DAYS
    )
    window_starts = ", ".join(f"ts - INTERVAL {d} DAY AS since_{d}d" for d in WINDOW_DAYS)
    totals_before = " ".join(
        _asof(f"before_{d}d", "running", ("user_id",), f"since_{d}d") for d in WINDOW_DAYS
    )
    per_type = {
        f"type_{rank}": f"count(*) FILTER (WHERE type_rank = {rank})"
        for rank in range(1, type_count + 1)
    }
    return f"""
    WITH transactions AS (
        SELECT user_id, transaction_date AS ts, amount, shipping_costs, discount_coupon,
               discount_coupon_amount, type_rank
        FROM transactions_frame JOIN type_ranks_frame USING (delivery_type)
        WHERE user_id % $parts = $part
    ),
    running AS ({_running("user_id", {**TOTALS, **per_type})}),
    change_points AS (
        SELECT user_id, ts, {window_starts} FROM (
            SELECT user_id, registration_date AS ts FROM users_frame WHERE user_id % $parts = $part
            UNION SELECT user_id, ts FROM transactions
            {expiries}
        )
    )
    SELECT cp.user_id, cp.ts AS event_timestamp,
           {", ".join(_window_sums(d) for d in WINDOW_DAYS)},
           {", ".join(_type_counts(d, type_count) for d in WINDOW_DAYS)},
           upto.ts AS last_order_at, coalesce(upto.orders, 0) AS lifetime_order_count
    FROM change_points cp
    {_asof("upto", "running", ("user_id",), "ts")}
    {totals_before}
    ORDER BY cp.user_id, cp.ts
    """


def user_order_stats_table(users: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """Rows for the ``user_order_stats`` view, from typed users and transactions.

    Per window ``W`` in 7, 30, 90 days: order_count, spend_sum, spend_mean, shipping_costs_sum,
    coupon_count (the 0/1 flag summed), coupon_rate, discount_amount_sum, top_delivery_type
    (most orders; ties go to the alphabetically first). Plus last_order_at and
    lifetime_order_count. Means and rates are missing (NaN) when the window holds no order.
    """
    type_names = sorted(transactions["delivery_type"].dropna().unique())
    parts = max(1, math.ceil(len(transactions) / TRANSACTIONS_PER_PART))
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.execute("SET enable_progress_bar = false")
        connection.register("users_frame", users[["user_id", "registration_date"]])
        connection.register("transactions_frame", transactions)
        connection.register(
            "type_ranks_frame",
            pd.DataFrame({"delivery_type": type_names, "type_rank": range(1, len(type_names) + 1)}),
        )
        query = _query(len(type_names))
        table = pd.concat(
            [
                _with_top_types(
                    connection.execute(query, {"parts": parts, "part": part}).df(), type_names
                )
                for part in range(parts)
            ],
            ignore_index=True,
        )
    finally:
        connection.close()
    return finish_order_stats(table)


def finish_order_stats(table: pd.DataFrame) -> pd.DataFrame:
    """From per-window counts and sums (any engine's) to the view's rows: sums rounded to cents,
    means and rates, integer and UTC timestamp types, the view's column order, sorted by user and time.
    """
    table = table.sort_values(["user_id", "event_timestamp"], ignore_index=True)
    for days in WINDOW_DAYS:
        # Sums are rounded to cents first: engines add floats in no fixed order, and the last
        # bits of an unrounded sum would make means differ between two builds of the same data.
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
    return table[column_order()]


def _with_top_types(frame: pd.DataFrame, type_names: list[str]) -> pd.DataFrame:
    """top_delivery_type per window from the per-type counts (which are then dropped): most
    orders, the alphabetically first on a tie (the first maximum), missing without orders."""
    names = np.array(type_names + [None], dtype=object)
    for days in WINDOW_DAYS:
        columns = [_type_column(rank, days) for rank in range(1, len(type_names) + 1)]
        counts = frame[columns].to_numpy()
        if counts.shape[1]:
            best = np.where(counts.max(axis=1) > 0, counts.argmax(axis=1), len(type_names))
        else:
            best = np.full(len(frame), len(type_names))
        frame[f"top_delivery_type_{days}d"] = names[best]
        frame = frame.drop(columns=columns)
    return frame


def column_order() -> list[str]:
    per_window = [
        "order_count", "spend_sum", "spend_mean", "shipping_costs_sum", "coupon_count",
        "coupon_rate", "discount_amount_sum", "top_delivery_type",
    ]  # fmt: skip
    windowed = [f"{name}_{days}d" for days in WINDOW_DAYS for name in per_window]
    return ["user_id", "event_timestamp", *windowed, "last_order_at", "lifetime_order_count"]
