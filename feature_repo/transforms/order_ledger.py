"""A user's order ledger: the orders of the longest window (placed less than ``LEDGER_DAYS`` before
the latest), sorted by rank, as the view's parallel columns (instants in Unix microseconds, money
in integer cents), with the lifetime order count, the latest order instant and the registration
instant. ``ledger_windows`` computes the ``user_order_stats`` row it implies at any instant.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

from feature_repo.transforms.window_rule import CENTS, WINDOW_DAYS

MICROS_PER_DAY = 86_400 * 1_000_000
LEDGER_DAYS = max(WINDOW_DAYS)
ORDER_COLUMNS = (
    "transaction_ids",
    "order_instants_us",
    "amounts_cents",
    "shipping_costs_cents",
    "coupon_flags",
    "coupon_amounts",
    "delivery_types",
)


class Order(NamedTuple):
    """One order as the ledger keeps it (a named tuple: ledgers of every pushed user are built)."""

    transaction_id: int
    instant_us: int
    amount_cents: int
    shipping_costs_cents: int
    coupon_flag: int
    coupon_amount: int
    delivery_type: str

    @property
    def rank(self) -> tuple[int, int]:
        """Orders are ranked by instant, then id (the batch's rule for same-instant orders)."""
        return (self.instant_us, self.transaction_id)


class OrderLedger:
    """A user's recent orders (sorted by rank) and lifetime facts; instants in Unix microseconds.

    The orders are kept as the view's parallel columns (``columns``, in ``ORDER_COLUMNS`` order:
    what is read and written, with no tuple per order); ``orders`` gives them as ``Order``s.
    A ledger is a value: ``with_order`` returns a new one, and its columns are never changed."""

    __slots__ = ("registered_at_us", "columns", "lifetime_order_count", "last_order_at_us")

    def __init__(
        self,
        registered_at_us: int | None,
        orders: Iterable[Order] = (),
        lifetime_order_count: int = 0,
        last_order_at_us: int | None = None,
    ) -> None:
        ranked = tuple(orders)
        columns = [list(column) for column in zip(*ranked, strict=True)] if ranked else None
        self._set(registered_at_us, columns, lifetime_order_count, last_order_at_us)

    def _set(self, registered, columns, lifetime, last) -> None:
        setter = object.__setattr__  # read-only attributes after this
        setter(self, "registered_at_us", registered)
        setter(self, "columns", tuple(columns or ([] for _ in ORDER_COLUMNS)))
        setter(self, "lifetime_order_count", lifetime)
        setter(self, "last_order_at_us", last)

    @classmethod
    def of_columns(
        cls,
        registered_at_us: int | None,
        columns: Iterable[list],
        lifetime_order_count: int,
        last_order_at_us: int | None,
    ) -> OrderLedger:
        """A ledger of sorted parallel columns (``ORDER_COLUMNS`` order), taken as they are."""
        ledger = cls.__new__(cls)
        ledger._set(registered_at_us, list(columns), lifetime_order_count, last_order_at_us)
        return ledger

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"an OrderLedger is read-only: {name} cannot be set")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, OrderLedger):
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in self.__slots__)

    __hash__ = None  # type: ignore[assignment]  # equal by value, and holds lists

    def __reduce__(self) -> tuple:  # copied and pickled through ``of_columns``
        columns = [list(column) for column in self.columns]
        return OrderLedger.of_columns, (
            self.registered_at_us,
            columns,
            self.lifetime_order_count,
            self.last_order_at_us,
        )

    def __repr__(self) -> str:
        return (
            f"OrderLedger(registered_at_us={self.registered_at_us!r}, orders={self.orders!r}, "
            f"lifetime_order_count={self.lifetime_order_count!r}, "
            f"last_order_at_us={self.last_order_at_us!r})"
        )

    @property
    def orders(self) -> tuple[Order, ...]:
        return tuple(map(Order._make, zip(*self.columns, strict=True)))

    @property
    def latest_order(self) -> Order | None:
        """The latest order, if any (without building the others)."""
        return Order._make(column[-1] for column in self.columns) if self.columns[0] else None

    @property
    def latest_rank(self) -> tuple[int, int] | None:
        ids, instants = self.columns[0], self.columns[1]
        return (instants[-1], ids[-1]) if ids else None

    def knows(self, transaction_id: int) -> bool:
        return transaction_id in self.columns[0]

    def with_order(self, order: Order) -> OrderLedger:
        """The ledger after a new order ranked after every order it holds (older ones are late)."""
        latest = self.latest_rank
        if latest is not None and order.rank <= latest:
            raise ValueError(f"order {order.transaction_id} is not newer than the ledger's latest")
        first = first_kept(self.columns[1], order.instant_us)
        columns = [
            [*column[first:], value] for column, value in zip(self.columns, order, strict=True)
        ]
        return OrderLedger.of_columns(
            self.registered_at_us, columns, self.lifetime_order_count + 1, order.instant_us
        )


def first_kept(instants: list[int], latest_us: int, lo: int = 0, hi: int | None = None) -> int:
    """The position of the first of ``instants`` (sorted; those of ``lo:hi``) that can still
    count at or after ``latest_us``: the ledger keeps the orders placed less than
    ``LEDGER_DAYS`` before its latest."""
    hi = len(instants) if hi is None else hi
    return bisect_right(instants, latest_us - LEDGER_DAYS * MICROS_PER_DAY, lo, hi)


def trimmed(orders: Iterable[Order]) -> tuple[Order, ...]:
    """The orders that can still count at or after the latest one (``first_kept``), by rank."""
    ranked = sorted(orders, key=lambda order: order.rank)
    if not ranked:
        return ()
    first = first_kept([order.instant_us for order in ranked], ranked[-1].instant_us)
    return tuple(ranked[first:])


def cents(amount: float) -> int:
    """Money in integer cents, rounded as the batch pipeline rounds it."""
    return round(amount * CENTS)


def ledger_columns(ledger: OrderLedger) -> dict[str, Any]:
    """The ledger as the view's fields (parallel lists, the ledger's own: not to be changed, and
    scalars)."""
    return {
        **dict(zip(ORDER_COLUMNS, ledger.columns, strict=True)),
        "lifetime_order_count": ledger.lifetime_order_count,
        "last_order_at_us": ledger.last_order_at_us,
        "registered_at_us": ledger.registered_at_us,
    }


def ledger_from_columns(values: Mapping[str, Any]) -> OrderLedger:
    """The ledger from the view's fields (missing lists are empty)."""
    columns = [_items(values.get(name), int) for name in ORDER_COLUMNS[:-1]]
    columns.append(_items(values.get(ORDER_COLUMNS[-1]), str))
    if len({len(column) for column in columns}) > 1:
        raise ValueError(f"the ledger's columns differ in length: {[len(c) for c in columns]}")
    last = values.get("last_order_at_us")
    registered = values.get("registered_at_us")
    return OrderLedger.of_columns(
        None if registered is None else int(registered),
        columns,
        int(values.get("lifetime_order_count") or 0),
        None if last is None else int(last),
    )


# the window rule's aggregates, resolved once (a push computes the windows of ~1,000 users)


def _items(values: Any, kind: type) -> list:
    """A ledger column as a list of ``kind``; a list (decoded: of ``kind`` already) is taken as
    it is (a push decodes ~1,000 ledgers of 7 columns)."""
    return values if type(values) is list else list(map(kind, values or []))


def order_from_row(row: Any) -> Order:
    """An order from a typed transaction row (``transaction_date`` a UTC timestamp)."""
    return Order(
        transaction_id=int(row.transaction_id),
        instant_us=instant_us(row.transaction_date),
        amount_cents=cents(row.amount),
        shipping_costs_cents=cents(row.shipping_costs),
        coupon_flag=int(row.discount_coupon),
        coupon_amount=int(row.discount_coupon_amount),
        delivery_type=str(row.delivery_type),
    )


def instant_us(instant: Any) -> int:
    """Unix microseconds of a pandas/aware datetime (naive means UTC)."""
    import pandas as pd

    if type(instant) is pd.Timestamp and instant.tzinfo is not None:
        return int(instant.value // 1000)  # an aware Timestamp (a pushed order's) as it is
    stamp = pd.Timestamp(instant)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return int(stamp.value // 1000)  # .value is nanoseconds whatever the unit


def ledgers_of(registrations: Mapping[int, Any], transactions: Any) -> dict[int, OrderLedger]:
    """Every user's ledger after all of ``transactions`` (typed rows); users without orders too."""
    orders: dict[int, list[Order]] = {}
    for row in transactions.itertuples(index=False):
        orders.setdefault(int(row.user_id), []).append(order_from_row(row))
    ledgers = {}
    for user_id, registered in registrations.items():
        mine = sorted(orders.get(int(user_id), []), key=lambda order: order.rank)
        ledgers[int(user_id)] = OrderLedger(
            registered_at_us=None if registered is None else instant_us(registered),
            orders=trimmed(mine),
            lifetime_order_count=len(mine),
            last_order_at_us=mine[-1].instant_us if mine else None,
        )
    return ledgers
