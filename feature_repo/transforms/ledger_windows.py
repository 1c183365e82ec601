"""A user's order ledger (the orders of the longest window, plus what windows cannot give) and the
``user_order_stats`` row it implies at any instant: the serving twin of ``order_stats``.

The ledger holds every order of the user placed less than ``LEDGER_DAYS`` before their latest
order, as parallel columns (instants in Unix microseconds, money in integer cents), with the
lifetime order count, the latest order instant and the registration instant. At an instant ``t``
no earlier than the latest order, the windows follow the batch rule exactly: an order at ``s``
counts in a window of ``W`` days while ``s <= t < s + W``; money is summed in cents; means and
rates are missing without orders; the top type has the most orders, ties alphabetical. The row
also carries the instant the batch table's row in force at ``t`` starts (registration, the last
order or the last exit from a window), so the caller applies the view's TTL as the offline join does.
The ledger itself lives in ``order_ledger`` (its names are reached from here too).
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from typing import Any

from feature_repo.transforms.order_ledger import (
    LEDGER_DAYS,
    MICROS_PER_DAY,
    ORDER_COLUMNS,
    Order,
    OrderLedger,
    cents,
    first_kept,
    instant_us,
    ledger_columns,
    ledger_from_columns,
    ledgers_of,
    order_from_row,
    trimmed,
)
from feature_repo.transforms.window_rule import (
    CENTS,
    MONEY_DECIMALS,
    PER_WINDOW,
    RATIOS,
    SUMMED,
    TOP,
    WINDOW_DAYS,
)

__all__ = [  # the ledger's names, also reached from here
    "LEDGER_DAYS", "MICROS_PER_DAY", "ORDER_COLUMNS", "Order", "OrderLedger", "cents",
    "first_kept", "instant_us", "ledger_columns", "ledger_from_columns", "ledgers_of",
    "order_from_row", "order_stats_at", "row_start_us", "trimmed",
]  # fmt: skip

_SUMMED = tuple((a.name, a.kind, a.ledger) for a in SUMMED)
_RATIOS = tuple((a.name, a.numerator) for a in RATIOS)
_NAMES = tuple(a.name for a in PER_WINDOW)
_COLUMNS = {days: tuple(a.column(days) for a in PER_WINDOW) for days in WINDOW_DAYS}


def _window_values(columns: Mapping[str, Any], first: int, days: int) -> dict[str, Any]:
    """The window's values from the orders at ``first`` and after (the columns are sorted), as
    ``window_rule`` declares them."""
    count = len(columns["order_instants_us"]) - first
    sums: dict[str, Any] = {}
    for name, kind, ledger in _SUMMED:
        if kind == "count":
            sums[name] = count
            continue
        values = columns[ledger]
        total = sum(values[first:]) if first else sum(values)
        sums[name] = round(total / CENTS, MONEY_DECIMALS) if kind == "money" else total
    for name, numerator in _RATIOS:
        sums[name] = sums[numerator] / count if count else math.nan
    sums[TOP.name] = _top(columns[TOP.ledger][first:]) if count else None
    return dict(zip(_COLUMNS[days], map(sums.__getitem__, _NAMES), strict=True))


def _top(types: list[str]) -> str:
    """The type with the most orders, a tie to the alphabetically first (``max`` keeps the first
    of equal counts, and the candidates come in alphabetical order)."""
    return max(sorted(set(types)), key=types.count)


def row_start_us(columns: Mapping[str, Any], at_us: int) -> int | None:
    """When the batch row in force at ``at_us`` starts: the latest of registration, the last order
    and the last exit of an order from a window, up to ``at_us``."""
    instants = columns["order_instants_us"]
    changes = [columns["registered_at_us"], columns["last_order_at_us"]]
    for days in WINDOW_DAYS:
        width = days * MICROS_PER_DAY
        exited = bisect_right(instants, at_us - width)  # orders with s + W <= at
        if exited:
            changes.append(instants[exited - 1] + width)
    known = [change for change in changes if change is not None and change <= at_us]
    return max(known) if known else None


def order_stats_at(ledger: OrderLedger | Mapping[str, Any], at_us: int) -> dict[str, Any] | None:
    """The ``user_order_stats`` values at ``at_us`` (by feature name), plus ``row_start_us``;
    ``None`` before registration. ``at_us`` must not precede the ledger's latest order.

    ``ledger``: an ``OrderLedger``, or its columns (``ledger_columns``; the lean reader's form)."""
    columns = ledger_columns(ledger) if isinstance(ledger, OrderLedger) else ledger
    last = columns["last_order_at_us"]
    if last is not None and at_us < last:
        raise ValueError("the ledger cannot tell the windows before its latest order")
    start = row_start_us(columns, at_us)
    if start is None:
        return None
    values: dict[str, Any] = {}
    instants = columns["order_instants_us"]
    for days in WINDOW_DAYS:
        first = bisect_right(instants, at_us - days * MICROS_PER_DAY)  # s > at - W
        values.update(_window_values(columns, first, days))
    values["last_order_at_us"] = last
    values["lifetime_order_count"] = columns["lifetime_order_count"] or 0
    values["row_start_us"] = start
    return values
