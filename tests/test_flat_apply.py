"""Orders applied to ledgers laid end to end (``flat_apply.apply_to_run``, a push of many users)
give what ``apply.apply_orders`` gives a ledger at a time: the same results (statuses and
reasons), the same changed users and applied orders, the same ledgers after the batch, the same
``transaction_features`` rows; and the ledger fields written from the run are those written
from the ledgers. Random ledgers and orders (hypothesis) with ids and instants drawn from small
ranges, so that duplicates, late orders, orders before the registration, unknown users and
ledgers trimmed by new orders all occur."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from feature_repo.push.apply import apply_orders, transaction_rows
from feature_repo.push.apply import order_rows as run_order_rows
from feature_repo.push.flat_apply import apply_to_run
from feature_repo.push.ledger_bytes import ledger_fields, ledgers_of_run, run_fields
from feature_repo.push.orders import PushedOrder
from feature_repo.transforms.ledger_stats_columns import LedgerRun
from feature_repo.transforms.order_ledger import (
    LEDGER_DAYS,
    MICROS_PER_DAY,
    Order,
    OrderLedger,
    trimmed,
)

BASE_US = 1_600_000_000_000_000  # 2020-09-13
SPAN_US = 3 * LEDGER_DAYS * MICROS_PER_DAY  # instants over three ledger lengths: trims happen
USERS = (11, 12, 13, 14)
instants = st.integers(BASE_US, BASE_US + SPAN_US).map(lambda us: us - us % 3_600_000_000)
ids = st.integers(1, 40)  # few ids: duplicates within a batch and against the ledgers
types = st.sampled_from(["Pizza", "Sushi ☃", ""])

ledger_orders = st.lists(
    st.builds(Order, ids, instants, st.integers(0, 10**6), st.integers(0, 999), st.sampled_from([0, 1]), st.integers(0, 50), types),
    max_size=8, unique_by=lambda order: order.transaction_id,
)  # fmt: skip
ledgers = st.builds(
    lambda orders, registered, extra: OrderLedger(
        registered, trimmed(orders), len(orders) + extra,
        max((o.instant_us for o in orders), default=None),
    ),
    ledger_orders, st.none() | instants, st.integers(0, 5),
)  # fmt: skip
pushed = st.builds(
    lambda user, tid, instant, amount, coupon, kind: (user, tid, instant, amount, coupon, kind),
    st.sampled_from(USERS), ids, instants, st.floats(0, 1000).map(lambda a: round(a, 2)),
    st.sampled_from([0, 1]), types,
)  # fmt: skip


def _orders(drawn: list[tuple]) -> list[PushedOrder]:
    return [
        PushedOrder(
            index=index, location=f"order {index}", transaction_id=tid, user_id=user,
            amount=amount, shipping_costs=2.5, discount_coupon=coupon,
            discount_coupon_amount=5 * coupon, payment_method="Cash",
            transaction_date=pd.Timestamp(instant, unit="us", tz="UTC"), delivery_type=kind,
        )
        for index, (user, tid, instant, amount, coupon, kind) in enumerate(drawn)
    ]  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(
    found=st.dictionaries(st.sampled_from(USERS), ledgers, max_size=len(USERS)),
    drawn=st.lists(pushed, max_size=30),
)
def test_applied_to_the_run_equals_applied_a_ledger_at_a_time(found, drawn):
    orders = _orders(drawn)
    present = list(found)  # a user of the orders not in ``found`` is unknown
    run = LedgerRun.of([found[user] for user in present])
    expected = apply_orders(orders, dict(found))

    results, changes = apply_to_run(orders, run, {user: i for i, user in enumerate(present)})

    assert results == expected.results
    assert changes.user_ids == [c.user_id for c in expected.changes]
    assert changes.applied == [c.applied for c in expected.changes]
    if not expected.changes:
        assert changes.after is None
        return
    assert ledgers_of_run(changes.after) == [c.after for c in expected.changes]
    rows = run_order_rows(
        changes.applied, changes.previous_us, changes.lifetime_before, changes.registered_us
    )
    pd.testing.assert_frame_equal(rows, transaction_rows(expected.changes))
    after = [c.after for c in expected.changes]
    written, general = run_fields(changes.after), ledger_fields(after, LedgerRun.of(after))
    assert written.keys() == general.keys()
    for name, column in general.items():
        assert _plain(written[name]) == _plain(column), name


def _plain(column) -> list:
    return column.to_pylist() if hasattr(column, "to_pylist") else list(column)


def test_an_id_trimmed_out_of_the_ledger_by_a_newer_order_of_the_batch_is_no_longer_known():
    """The ledger forgets an order pushed out of ``LEDGER_DAYS`` by a newer one: the same id
    ranked after that newer order is then a new order, as ``apply_orders`` has it."""
    ledger = OrderLedger(None, [Order(1, BASE_US, 100, 0, 0, 0, "Pizza")], 1, BASE_US)
    later = BASE_US + (LEDGER_DAYS + 1) * MICROS_PER_DAY
    orders = _orders([(11, 0, later, 1.0, 0, "Sushi ☃"), (11, 1, later + 1, 2.0, 1, "Pizza")])

    results, changes = apply_to_run(orders, LedgerRun.of([ledger]), {11: 0})

    assert [str(r.status) for r in results] == ["applied", "applied"]
    assert results == apply_orders(orders, {11: ledger}).results
    after = ledgers_of_run(changes.after)[0]
    assert after.columns[0] == [0, 1] and after.lifetime_order_count == 3
    assert after.last_order_at_us == later + 1
