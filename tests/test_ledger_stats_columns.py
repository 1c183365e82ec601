"""The push's window statistics of many ledgers at once equal ``order_stats_at``, one ledger at
a time (the lean reader's rule), value for value."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from feature_repo.transforms.ledger_stats_columns import (
    EXACT_CENTS,
    LedgerRun,
    _money,
    order_stats_columns,
)
from feature_repo.transforms.ledger_windows import (
    MICROS_PER_DAY,
    Order,
    OrderLedger,
    order_stats_at,
)
from feature_repo.transforms.window_rule import CENTS, MONEY_DECIMALS, WINDOW_DAYS

TYPES = ["Pizza", "Chicken", "Sushi", "Burgers", "Ärger"]  # one sorts after "Z" as Python sorts
START_US = 1_600_000_000_000_000
# instants near the windows' edges: an order exactly W days (or 1 µs less) before the latest
OFFSETS = st.one_of(
    st.sampled_from([0, 1, *(d * MICROS_PER_DAY + e for d in WINDOW_DAYS for e in (-1, 0, 1))]),
    st.integers(0, 95 * MICROS_PER_DAY),
)


@st.composite
def ledgers(draw) -> OrderLedger:
    """A ledger as ``with_order`` builds it: orders ranked, the latest one the ledger's last."""
    ledger = OrderLedger(registered_at_us=draw(st.sampled_from([None, START_US - 5])))
    back = sorted(draw(st.lists(OFFSETS, min_size=1, max_size=12)), reverse=True)
    latest = START_US + max(back)
    for number, offset in enumerate(back):
        coupon = draw(st.integers(0, 1))
        order = Order(
            transaction_id=10_000 - number if draw(st.booleans()) else number,
            instant_us=latest - offset,
            amount_cents=draw(st.integers(0, 10_000_000)),
            shipping_costs_cents=draw(st.integers(0, 900)),
            coupon_flag=coupon,
            coupon_amount=draw(st.integers(1, 9)) * coupon,
            delivery_type=draw(st.sampled_from(TYPES)),
        )
        if ledger.latest_rank is None or order.rank > ledger.latest_rank:
            ledger = ledger.with_order(order)
    return ledger


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@settings(max_examples=200, deadline=None)
@given(many=st.lists(ledgers(), min_size=1, max_size=6))
def test_columns_equal_each_ledger_at_its_latest_order(many):
    columns = order_stats_columns(LedgerRun.of(many))
    for position, ledger in enumerate(many):
        expected = order_stats_at(ledger, ledger.last_order_at_us)
        expected.pop("row_start_us")
        got = {name: values[position] for name, values in columns.items()}
        assert got.keys() == expected.keys()
        for name, value in expected.items():
            assert _same(got[name], value), (name, got[name], value)


def test_a_tie_goes_to_the_alphabetically_first_type_and_old_orders_leave_the_window():
    ledger = OrderLedger(registered_at_us=None)
    day = MICROS_PER_DAY
    # counted by hand: at the latest order (day 100), the 7-day window holds days 94..100
    for number, (at, kind) in enumerate(
        [
            (0, "Sushi"),
            (93, "Sushi"),
            (94, "Pizza"),
            (99, "Burgers"),
            (100, "Pizza"),
            (100, "Burgers"),
        ]
    ):
        ledger = ledger.with_order(Order(number, START_US + at * day, 100, 0, 0, 0, kind))
    columns = order_stats_columns(LedgerRun.of([ledger]))
    assert columns["order_count_7d"] == [4]  # days 94, 99, 100, 100 (93 is exactly 7 days back)
    assert columns["top_delivery_type_7d"] == ["Burgers"]  # 2 Burgers, 2 Pizza: alphabetical
    assert columns["order_count_90d"] == [5]  # day 0 left the ledger (over 90 days back)
    assert columns["top_delivery_type_90d"] == [
        "Burgers"
    ]  # Burgers 2, Pizza 2, Sushi 1 (day 0 left)
    assert columns["spend_sum_7d"] == [4.0]
    assert columns["lifetime_order_count"] == [6]


@settings(max_examples=300, deadline=None)
@given(
    cents=st.lists(
        st.one_of(
            st.integers(-(10**9), 10**9),
            st.integers(EXACT_CENTS - 10**6, EXACT_CENTS + 10**6),
            st.integers(-(2**62), 2**62),
        ),
        max_size=20,
    )
)
def test_money_sums_are_rounded_to_cents_as_round_rounds_them(cents):
    got = _money(np.array(cents, np.int64))
    assert got == [round(c / CENTS, MONEY_DECIMALS) for c in cents]
    assert all(type(v) is float for v in got)
