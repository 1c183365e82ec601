"""Trailing-window order statistics per user, one row each time a value changes: the batch
implementation of the rule declared in ``window_rule`` (windows, aggregates, boundary, nulls).

A transaction at instant ``s`` counts in a window of ``W`` days at instants ``t`` with
``s <= t < s + W`` (the window is ``(t - W, t]``). Values change at registration (all
counts start at 0), at every transaction and at every instant a transaction leaves a
window (``s + W``), so a row is emitted at each of those instants: a user who stops
ordering sees the 7-day count fall to 0 exactly seven days after the last order.

Window sums are differences of running totals: the total up to ``t`` minus the total up to
``t - W``. Transactions are sorted by (user, instant) and each running total is a cumulative sum
over them, so "the total of user ``u`` up to ``t``" is the cumulative sum at the position a binary
search (``numpy.searchsorted``) finds for the key (``u``, ``t``). Money is summed in integer
cents, so the differences are exact. The work is a few sorts and binary searches of the
transactions and change points: it grows with the number of transactions (times delivery types
for the top type: one running count per type), not with transactions times window length as a
range join does.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from feature_repo.transforms.arithmetic import safe_ratio
from feature_repo.transforms.window_rule import (
    CENTS,
    COUNTED,
    LIFETIME_COLUMNS,
    MICROSECONDS_PER_DAY,
    MONEY_DECIMALS,
    RATIOS,
    SUMMED,
    TOP,
    WINDOW_DAYS,
    integer_columns,
    money_columns,
    windowed_columns,
)


def _microseconds(values: pd.Series) -> np.ndarray:
    """Instants (naive ones taken as UTC) as int64 microseconds since the epoch."""
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True)).as_unit("us").asi8


def _instants(microseconds: np.ndarray) -> pd.DatetimeIndex:
    """int64 microseconds (the int64 minimum: missing) as UTC instants."""
    return pd.to_datetime(microseconds.view("datetime64[us]"), utc=True)


class _Keys:
    """(user, instant) pairs as one sortable int64: the user's position among the part's users
    times (distinct transaction instants + 1), plus how many distinct transaction instants are at
    or before the instant. Two keys compare as the pairs do wherever one side is a transaction."""

    def __init__(self, user_ids: np.ndarray, transaction_times: np.ndarray) -> None:
        self.users = np.unique(user_ids)
        self.times = np.unique(transaction_times)
        self.stride = len(self.times) + 1

    def of(self, user_ids: np.ndarray, times: np.ndarray) -> np.ndarray:
        return self.first(user_ids) + np.searchsorted(self.times, times, side="right")

    def first(self, user_ids: np.ndarray) -> np.ndarray:
        """The key below every instant of each user."""
        return np.searchsorted(self.users, user_ids).astype(np.int64) * self.stride


def _change_points(users: pd.DataFrame, ids: np.ndarray, times: np.ndarray):
    """Distinct (user, instant) at registration, at every order and when an order leaves a window."""
    point_ids = np.concatenate(
        [users["user_id"].to_numpy(np.int64), *([ids] * (1 + len(WINDOW_DAYS)))]
    )
    point_times = np.concatenate(
        [
            _microseconds(users["registration_date"]),
            times,
            *(times + days * MICROSECONDS_PER_DAY for days in WINDOW_DAYS),
        ]
    )
    order = np.lexsort((point_times, point_ids))
    point_ids, point_times = point_ids[order], point_times[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = (point_ids[1:] != point_ids[:-1]) | (point_times[1:] != point_times[:-1])
    return point_ids[first], point_times[first]


def _running_totals(transactions: pd.DataFrame, type_codes: np.ndarray, type_count: int):
    """Cumulative sums over the sorted transactions, each with a leading 0 (position 0 = none)."""
    columns = {}
    for aggregate in SUMMED:
        if aggregate.kind == "count":
            columns[aggregate.name] = np.ones(len(transactions), dtype=np.int64)
            continue
        values = transactions[aggregate.source].to_numpy(np.float64)
        if aggregate.kind == "money":  # DuckDB's and Spark's round(): half away from 0
            values = np.floor(values * CENTS + 0.5)
        columns[aggregate.name] = np.round(values).astype(np.int64)
    for rank in range(type_count):
        columns[f"_type_{rank}"] = (type_codes == rank).astype(np.int64)
    return {name: np.concatenate([[0], np.cumsum(values)]) for name, values in columns.items()}


def user_order_stats_table(users: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """Rows for the ``user_order_stats`` view, from typed users and transactions.

    Per window of ``window_rule.WINDOW_DAYS``, every aggregate of ``window_rule.PER_WINDOW``
    (counts and sums, means and rates missing (NaN) without orders, the top type); then
    last_order_at and lifetime_order_count.
    """
    ids = transactions["user_id"].to_numpy(np.int64)
    times = _microseconds(transactions["transaction_date"])
    order = np.lexsort((times, ids))
    ids, times, ordered = ids[order], times[order], transactions.iloc[order]
    type_codes, type_names = pd.factorize(ordered[TOP.source], sort=True)
    totals = _running_totals(ordered, type_codes, len(type_names))
    point_ids, point_times = _change_points(users, ids, times)
    keys = _Keys(np.concatenate([ids, point_ids]), times)
    transaction_keys = keys.of(ids, times)
    # how many sorted transactions are at or before a key: earlier users' ones included, so the
    # user's own are counted from the position of the user's first key
    first = np.searchsorted(transaction_keys, keys.first(point_ids), side="left")
    upto = np.searchsorted(transaction_keys, keys.of(point_ids, point_times), side="right")
    table: dict[str, object] = {"user_id": point_ids, "event_timestamp": _instants(point_times)}
    for days in WINDOW_DAYS:
        since = point_times - days * MICROSECONDS_PER_DAY
        before = np.searchsorted(transaction_keys, keys.of(point_ids, since), side="right")
        for aggregate in SUMMED:
            in_window = totals[aggregate.name][upto] - totals[aggregate.name][before]
            money = aggregate.kind == "money"
            table[aggregate.column(days)] = in_window / CENTS if money else in_window
        counts = [
            totals[f"_type_{r}"][upto] - totals[f"_type_{r}"][before]
            for r in range(len(type_names))
        ]
        table[TOP.column(days)] = _top_types(counts, list(type_names), len(point_ids))
    has_order = upto > first
    missing = np.iinfo(np.int64).min
    table["last_order_at"] = _instants(np.where(has_order, times[np.maximum(upto - 1, 0)], missing))
    table["lifetime_order_count"] = upto - first
    return finish_order_stats(pd.DataFrame(table))


def _top_types(counts: list[np.ndarray], type_names: list[str], rows: int) -> np.ndarray:
    """The type with the most orders in the window, the alphabetically first on a tie (the first
    maximum), missing without orders."""
    names = np.array(type_names + [None], dtype=object)
    if not counts:
        return names[np.full(rows, len(type_names))]
    stacked = np.stack(counts, axis=1)
    return names[np.where(stacked.max(axis=1) > 0, stacked.argmax(axis=1), len(type_names))]


def finish_order_stats(table: pd.DataFrame) -> pd.DataFrame:
    """From per-window counts and sums (any engine's) to the view's rows: sums rounded to cents,
    means and rates, integer and UTC timestamp types, the view's column order, sorted by user and time.
    """
    table = table.sort_values(["user_id", "event_timestamp"], ignore_index=True)
    # Sums are rounded to cents first: engines add floats in no fixed order, and the last bits
    # of an unrounded sum would make means differ between two builds of the same data.
    for money in money_columns():
        table[money] = table[money].round(MONEY_DECIMALS)
    for days in WINDOW_DAYS:
        for ratio in RATIOS:
            table[ratio.column(days)] = safe_ratio(
                table[f"{ratio.numerator}_{days}d"], table[f"{COUNTED}_{days}d"]
            )
    for column in [*integer_columns(), "lifetime_order_count"]:
        table[column] = table[column].astype("int64")
    for column in ("event_timestamp", "last_order_at"):
        table[column] = pd.to_datetime(table[column], utc=True).astype("datetime64[us, UTC]")
    return table[column_order()]


def column_order() -> list[str]:
    return ["user_id", "event_timestamp", *windowed_columns(), *LIFETIME_COLUMNS]
