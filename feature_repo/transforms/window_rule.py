"""The trailing-window order statistics, declared once: which windows, which aggregates, the
boundary rule and the null rules. Every implementation derives its columns from here: the batch
pipeline (``order_stats``, NumPy running totals), Spark SQL (``spark.order_stats``), the serving
ledger (``ledger_windows``), the Feast fields (``definitions.user_features``) and the quality gate.

**Boundary.** An order placed at ``s`` counts in the window of ``W`` days at instants ``t`` with
``s <= t < s + W``: the window is ``(t - W, t]``, it takes an order in at its own instant and lets
it go exactly ``W`` days later (``in_window``). Same-instant orders all count.

**Nulls.** Counts and sums are 0 without orders; a ratio (a mean or a rate) and the top type are
missing when the window holds no order. Money is summed in integer cents and rounded to cents.
The top type has the most orders of the window; a tie goes to the alphabetically first.

A new window is one number in ``WINDOW_DAYS``; a new aggregate is one entry in ``PER_WINDOW``
(and its column in the ledger, for a sum). ``tests/test_window_rule.py`` feeds random order
streams to the three implementations and requires equal values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

WINDOW_DAYS: tuple[int, ...] = (7, 30, 90)
MONEY_DECIMALS = 2
CENTS = 10**MONEY_DECIMALS
MICROSECONDS_PER_DAY = 86_400 * 10**6
COUNTED = "order_count"  # the denominator of every ratio

Kind = Literal["count", "sum", "money", "ratio", "top"]


@dataclass(frozen=True)
class WindowAggregate:
    """One statistic of every window, served as ``{name}_{days}d``."""

    name: str
    kind: Kind  # count: orders; sum/money: a column summed (money in cents); ratio; top: a type
    description: str  # with ``{days}``
    source: str | None = None  # sum/money: the typed transactions' column; top: the category
    ledger: str | None = None  # sum/money: the ledger's per-order column (integers)
    numerator: str | None = None  # ratio: the sum divided by the window's order count

    def column(self, days: int) -> str:
        return f"{self.name}_{days}d"


# in the view's column order
PER_WINDOW: tuple[WindowAggregate, ...] = (
    WindowAggregate("order_count", "count", "Orders in the last {days} days."),
    WindowAggregate("spend_sum", "money", "Total order amount in the last {days} days.",
                    source="amount", ledger="amounts_cents"),
    WindowAggregate("spend_mean", "ratio",
                    "Mean order amount in the last {days} days; missing with no order.",
                    numerator="spend_sum"),
    WindowAggregate("shipping_costs_sum", "money", "Shipping costs paid in the last {days} days.",
                    source="shipping_costs", ledger="shipping_costs_cents"),
    WindowAggregate("coupon_count", "sum",
                    "Orders with a discount coupon in the last {days} days (the 0/1 flag summed).",
                    source="discount_coupon", ledger="coupon_flags"),
    WindowAggregate("coupon_rate", "ratio",
                    "Share of orders with a coupon in the last {days} days; missing with no order.",
                    numerator="coupon_count"),
    WindowAggregate("discount_amount_sum", "sum", "Coupon discounts received in the last {days} days.",
                    source="discount_coupon_amount", ledger="coupon_amounts"),
    WindowAggregate("top_delivery_type", "top",
                    "Most ordered food category in the last {days} days (ties: alphabetical); "
                    "missing with no order.",
                    source="delivery_type", ledger="delivery_types"),
)  # fmt: skip
SUMMED = tuple(a for a in PER_WINDOW if a.kind in ("count", "sum", "money"))  # additive
RATIOS = tuple(a for a in PER_WINDOW if a.kind == "ratio")
TOP = next(a for a in PER_WINDOW if a.kind == "top")
# after the windows: what windows cannot give
LIFETIME_COLUMNS = ("last_order_at", "lifetime_order_count")


def in_window(order_us: int, at_us: int, days: int) -> bool:
    """The boundary rule: an order at ``order_us`` counts at ``at_us`` in a window of ``days``."""
    return order_us <= at_us < order_us + days * MICROSECONDS_PER_DAY


def windowed_columns() -> list[str]:
    """Every window's columns, window by window, in the view's order."""
    return [a.column(days) for days in WINDOW_DAYS for a in PER_WINDOW]


def integer_columns() -> list[str]:
    """The windowed columns stored as integers (counts and non-money sums)."""
    return [a.column(d) for d in WINDOW_DAYS for a in SUMMED if a.kind != "money"]


def money_columns() -> list[str]:
    return [a.column(d) for d in WINDOW_DAYS for a in SUMMED if a.kind == "money"]
