"""Orders applied to users' ledgers (pure: no I/O): which are new, duplicate or late, the ledgers
after them, and the rows they change online.

Rules, per user, orders taken by instant then id:
- an order whose ``transaction_id`` the ledger holds, or that came earlier in the batch, is a
  duplicate and counts once;
- an order ranked before the ledger's latest order (instant, then id) is late: the ledger cannot
  insert it without rewriting the later orders' features, so it is left to the next batch build
  (it is appended offline like every checked order);
- an order of a user without a ledger (not registered in the online store), or placed before the
  user's registration, is rejected.
Each applied order gets its ``transaction_features`` row from the shared transform, seeing the
user's previous order and lifetime count from the ledger; the user gets a ``user_order_stats`` row
as of their latest applied order.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from feature_repo.push.orders import PushedOrder
from feature_repo.push.results import OrderResult, OrderStatus
from feature_repo.transforms.ledger_windows import (
    Order,
    OrderLedger,
    instant_us,
    order_from_row,
    order_stats_at,
)
from feature_repo.transforms.transaction_features import order_feature_columns

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
LATE_REASON = "it reaches the online store with the next batch build"


@dataclass
class UserChange:
    """One user's ledger before and after the applied orders, and the rows those orders change."""

    user_id: int
    before: OrderLedger
    after: OrderLedger
    applied: list[PushedOrder] = field(default_factory=list)

    def order_stats(self, columns: dict | None = None) -> dict:
        """The ``user_order_stats`` values at the latest applied order (``columns``: the ledger
        after it as ``ledger_columns`` gives them, when already at hand)."""
        return order_stats_at(columns or self.after, self.after.last_order_at_us)


@dataclass
class AppliedBatch:
    results: list[OrderResult]
    changes: list[UserChange]


def apply_orders(orders: list[PushedOrder], ledgers: dict[int, OrderLedger | None]) -> AppliedBatch:
    """Apply checked orders to the ledgers of their users (``None``: unknown user)."""
    results, changes = [], []
    for user_id, mine in orders_by_user(orders).items():
        ledger = ledgers.get(user_id)
        if ledger is None:
            results += unknown_user(user_id, mine)
            continue
        change = UserChange(user_id, ledger, ledger)
        seen: set[int] = set()

        def known(transaction_id: int, change: UserChange = change, seen: set[int] = seen) -> bool:
            return transaction_id in seen or change.after.knows(transaction_id)

        for order in sorted(mine, key=lambda o: (o.transaction_date, o.transaction_id)):
            entry = order_from_row(order)
            after = change.after
            result = refused(order, entry, after.registered_at_us, known, after.latest_rank,
                             after.last_order_at_us)  # fmt: skip
            if result is None:
                change.after = change.after.with_order(entry)
                change.applied.append(order)
                result = order_result(order, OrderStatus.APPLIED)
            results.append(result)
            seen.add(order.transaction_id)
        if change.applied:
            changes.append(change)
    return AppliedBatch(sorted(results, key=lambda r: r.index), changes)


def orders_by_user(orders: list[PushedOrder]) -> dict[int, list[PushedOrder]]:
    """The orders of each user, users in the order of their first order."""
    by_user: dict[int, list[PushedOrder]] = {}
    for order in orders:
        by_user.setdefault(order.user_id, []).append(order)
    return by_user


def unknown_user(user_id: int, orders: list[PushedOrder]) -> list[OrderResult]:
    """The results of the orders of a user the online store does not know."""
    reason = f"user_id: unknown user {user_id} (not in the online store)"
    return [order_result(o, OrderStatus.REJECTED, reason) for o in orders]


def refused(
    order: PushedOrder,
    entry: Order,
    registered_us: int | None,
    known: Callable[[int], bool],
    latest_rank: tuple | None,
    last_order_at_us: int | None,
) -> OrderResult | None:
    """The result of an order its user's ledger refuses, checked in this order: placed before
    the registration, a transaction id already ``known``, or late (ranked at or before the
    ledger's latest order); ``None``: the order applies."""
    if registered_us is not None and entry.instant_us < registered_us:
        return order_result(order, OrderStatus.REJECTED, f"transaction_date: before the user's registration ({instant_of(registered_us):%Y-%m-%d})")  # fmt: skip
    if known(order.transaction_id):
        return order_result(order, OrderStatus.DUPLICATE, "transaction_id already pushed or built")
    if latest_rank is not None and entry.rank <= latest_rank:
        latest = instant_of(last_order_at_us)
        return order_result(order, OrderStatus.LATE, f"late: placed before the user's latest online order ({latest:%Y-%m-%d %H:%M:%S}); {LATE_REASON}")  # fmt: skip
    return None


def transaction_rows(changes: list[UserChange]) -> pd.DataFrame:
    """The ``transaction_features`` rows of the applied orders (by id), computed by the shared
    transform's rule (``order_feature_columns``) without a frame per batch."""
    return pd.DataFrame(transaction_columns(changes))


def transaction_columns(changes: list[UserChange]) -> dict[str, Any]:
    """``transaction_rows`` as columns (``order_columns``)."""
    return order_columns(
        [change.applied for change in changes],
        [None if (o := change.before.latest_order) is None else o.instant_us for change in changes],
        [change.before.lifetime_order_count for change in changes],
        [change.before.registered_at_us for change in changes],
    )


def order_rows(
    applied: list[list[PushedOrder]],
    previous_us: list[int | None],
    lifetime_before: list[int],
    registered_us: list[int | None],
) -> pd.DataFrame:
    """``order_columns`` as a table."""
    return pd.DataFrame(order_columns(applied, previous_us, lifetime_before, registered_us))


def order_columns(
    applied: list[list[PushedOrder]],
    previous_us: list[int | None],
    lifetime_before: list[int],
    registered_us: list[int | None],
) -> dict[str, Any]:
    """The ``transaction_features`` columns (NumPy arrays; the texts as lists; the event times as
    a ``DatetimeIndex``) of each changed user's applied orders, by transaction id, given the
    user's latest order instant before the batch (``previous_us``), lifetime order count and
    registration instant: a table's columns without the table (a push of ~100 orders spent more
    on building and sorting a frame than on the rows).

    Each user's previous order is the ledger's latest before the batch, then the previous applied
    order (``hours_since_previous_order``); ``user_order_number`` counts from the lifetime orders
    before the batch."""
    orders = [order for mine in applied for order in mine]
    placed_us, previous_column, registered_column, numbers = [], [], [], []
    for mine, latest, lifetime, registered in zip(
        applied, previous_us, lifetime_before, registered_us, strict=True
    ):
        previous = math.nan if latest is None else latest
        for number, order in enumerate(mine, lifetime + 1):
            instant = instant_us(order.transaction_date)
            placed_us.append(instant)
            previous_column.append(previous)
            registered_column.append(registered or 0)
            numbers.append(number)
            previous = instant
    placed = np.array(placed_us, np.int64)
    seconds = placed.astype(np.float64) / 1e6  # as epoch_seconds reads an instant
    amount = np.array([o.amount for o in orders], np.float64)
    placed_at = pd.DatetimeIndex(placed.astype("datetime64[us]")).tz_localize(UTC)
    computed = order_feature_columns(
        amount, np.array([o.discount_coupon for o in orders], np.int64),
        np.array([o.discount_coupon_amount for o in orders], np.int64), placed_at, seconds,
        np.array(previous_column, np.float64) / 1e6, np.array(registered_column, np.float64) / 1e6,
    )  # fmt: skip
    ids = np.array([o.transaction_id for o in orders], np.int64)
    columns = {
        "transaction_id": ids,
        "user_id": np.array([o.user_id for o in orders], np.int64),
        "event_timestamp": placed_at,
        "amount": amount,
        "shipping_costs": np.array([o.shipping_costs for o in orders], np.float64),
        **{name: computed[name] for name in ("discount_coupon_used", "discount_coupon_amount", "net_amount", "discount_share")},
        "payment_method": [o.payment_method for o in orders],
        "delivery_type": [o.delivery_type for o in orders],
        **{name: computed[name] for name in ("order_hour_utc", "order_day_of_week", "is_weekend")},
        "user_order_number": np.array(numbers, np.int64),
        "hours_since_previous_order": computed["hours_since_previous_order"],
        "days_since_registration": computed["days_since_registration"],
    }  # fmt: skip
    by_id = np.argsort(ids, kind="stable")  # as a frame's stable sort by id
    if (by_id == np.arange(len(ids))).all():
        return columns
    return {
        name: [values[i] for i in by_id.tolist()] if isinstance(values, list) else values[by_id]
        for name, values in columns.items()
    }


def write_instant(change: UserChange, stored: datetime | None) -> datetime:
    """The event time of the user's rows written for this change: the latest applied order, or just
    after the stored row's (a store keeps a row only if it is newer than the one it holds)."""
    return write_instant_at(change.after.last_order_at_us, stored)


def write_instant_at(latest_us: int, stored: datetime | None) -> datetime:
    """``write_instant`` of a user whose latest applied order is at ``latest_us``."""
    latest = instant_of(latest_us)
    if stored is not None and latest <= stored:
        return stored + timedelta(microseconds=1)
    return latest


def order_result(order: PushedOrder, status: OrderStatus, reason: str = "") -> OrderResult:
    """The order's result (its index, location and ids as checked)."""
    return OrderResult(
        order.index, order.location, order.transaction_id, order.user_id, status, reason
    )


def instant_of(micros: int) -> datetime:
    """An instant in Unix microseconds as an aware UTC datetime."""
    return EPOCH + timedelta(microseconds=micros)
