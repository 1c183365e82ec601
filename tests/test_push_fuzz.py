"""Pushed-order files fuzzed line by line (hypothesis): every line is checked into an order whose money
is in [0, 100000] and ids fit int64, or rejected with its line and the field at fault named; the
checked orders go through the ledger arithmetic and the transaction transform without an error.
Then the new user's case, by the real CLI: ``"amount": 1e308`` is rejected naming the field, with no
traceback (it used to overflow in ``cents()``)."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime

import pytest
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st

from feature_repo.core import raw_format as tf
from feature_repo.push.apply import apply_orders, transaction_rows
from feature_repo.push.orders import (
    OrderProblem,
    _plain_values,
    _typed_values,
    checked_orders,
    records_from_text,
)
from feature_repo.push.results import OrderStatus
from feature_repo.transforms.ledger_windows import OrderLedger
from tests.cli_runner import run_cli

NOW = datetime(2026, 1, 1, tzinfo=UTC)
USERS = (112312, 112313)  # the ledgers given to apply_orders: known, registered in 2000
REGISTERED_US = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp() * 1e6)
EXAMPLES = int(os.environ.get("DELIVERY_FS_FUZZ_EXAMPLES", "300"))  # longer: e.g. 20000
REJECTION_STARTS = (
    *tf.TRANSACTION_COLUMNS,
    "missing field",
    "unexpected field",
    "not a JSON object",
)

numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 100_000, 100_000.001, 1e308, -0.0, 2**63, 2**63 - 1]),
)
values = st.one_of(
    numbers, numbers.map(str), st.text(max_size=12), st.none(), st.booleans(),
    st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
)  # fmt: skip
dates = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()),
    st.sampled_from(["2020-11-01T10:00:00Z", "2020-11-01", "0001-01-01T00:00:00", "9999-12-31",
                     "2262-04-12T00:00:00Z", "1677-09-21T00:00:00Z", "not a date"]),
    values,
)  # fmt: skip
plausible = st.fixed_dictionaries(
    {
        "transaction_id": st.integers(min_value=1, max_value=2**63 - 1),
        "user_id": st.sampled_from(USERS),
        "amount": st.floats(min_value=0, max_value=100_000),
        "shipping_costs": st.floats(min_value=0, max_value=100_000),
        "discount_coupon": st.sampled_from([0, 1]),
        "discount_coupon_amount": st.integers(min_value=0, max_value=100_000),
        "payment_method": st.text(min_size=1, max_size=8),
        "transaction_date": dates,
        "delivery_type": st.text(min_size=1, max_size=8),
    }
)
orders = st.one_of(
    plausible,
    st.tuples(plausible, st.sampled_from(list(tf.TRANSACTION_COLUMNS)), values).map(
        lambda t: {**t[0], t[1]: t[2]}
    ),
    st.tuples(plausible, st.sampled_from(list(tf.TRANSACTION_COLUMNS))).map(
        lambda t: {k: v for k, v in t[0].items() if k != t[1]}
    ),
    st.dictionaries(st.text(max_size=6), values, max_size=4),
)
lines = st.one_of(orders.map(lambda o: json.dumps(o, default=str)), st.text(max_size=40))


@seed(20231)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(lines, min_size=1, max_size=6))
def test_every_line_is_an_order_in_range_or_rejected_naming_its_field(file_lines):
    text = "\n".join(['{"transaction_id": 0}', *file_lines])  # a JSON-lines file, whatever follows
    records, kind = records_from_text(text)
    good, rejected = checked_orders(records, kind, NOW)
    assert sorted([o.index for o in good] + [r.index for r in rejected]) == list(
        range(len(records))
    )
    for result in rejected:
        assert result.status is OrderStatus.REJECTED
        assert result.location == f"line {result.index + 1}" or kind == "csv"
        assert result.reason.startswith(REJECTION_STARTS), result.reason
    for order in good:
        for column in tf.MONEY_COLUMNS:
            assert 0 <= getattr(order, column) <= 100_000
        assert -(2**63) <= order.transaction_id < 2**63 and -(2**63) <= order.user_id < 2**63
    known = [o for o in good if o.user_id in USERS]
    batch = apply_orders(known, {user: OrderLedger(REGISTERED_US) for user in USERS})
    assert len(batch.results) == len(known)
    event(f"orders applied: {min(sum(r.status is OrderStatus.APPLIED for r in batch.results), 2)}+")
    if batch.changes:
        rows = transaction_rows(batch.changes)
        assert len(rows) == sum(len(c.applied) for c in batch.changes)
        for change in batch.changes:
            stats = change.order_stats()
            assert stats["lifetime_order_count"] == len(change.applied)


@seed(20232)
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        orders,
        orders.map(lambda o: json.loads(json.dumps(o, default=str))),
        st.builds(
            lambda o, at: {**o, "transaction_date": at.isoformat()},
            plausible,
            st.datetimes(timezones=st.just(UTC)),
        ),
    )
)
def test_an_order_of_plain_values_is_typed_as_the_general_checks_type_it(record):
    """The fast path (``_plain_values``) takes only what the general checks accept, unchanged."""
    plain = _plain_values(record)
    event(f"plain: {plain is not None}")
    try:
        typed = _typed_values(record)
    except OrderProblem:
        assert plain is None
        return
    if plain is not None:
        assert [(k, type(v), v) for k, v in plain.items()] == [
            (k, type(v), v) for k, v in typed.items()
        ]


def test_a_replayed_order_takes_the_fast_path_with_the_general_values():
    record = {"transaction_id": 7, "user_id": USERS[0], "amount": 12.5, "shipping_costs": 0.0,
              "discount_coupon": 1, "discount_coupon_amount": 3, "payment_method": " Cash ",
              "transaction_date": "2020-11-01T10:00:00+01:00", "delivery_type": "Pizza"}  # fmt: skip
    plain = _plain_values(record)
    assert plain is not None and plain == _typed_values(record)
    assert plain["payment_method"] == "Cash"
    assert plain["transaction_date"].isoformat() == "2020-11-01T09:00:00+00:00"
    assert _plain_values({**record, "amount": 12}) is None  # an int amount: the general path


@pytest.mark.integration
def test_a_huge_amount_is_rejected_naming_the_field_by_the_cli(
    materialized_store, store_config, tmp_path
):
    order = {"transaction_id": 990001, "user_id": USERS[0], "amount": 1e308, "shipping_costs": 0,
             "discount_coupon": 0, "discount_coupon_amount": 0, "payment_method": "Cash",
             "transaction_date": "2020-11-01T10:00:00Z", "delivery_type": "Pizza"}  # fmt: skip
    path = tmp_path / "orders.jsonl"
    path.write_text(json.dumps(order) + "\n" + json.dumps({**order, "amount": 100_000.01}) + "\n")
    env = {"FEAST_FS_YAML_FILE_PATH": str(store_config)}
    result = run_cli("delivery-fs", "push-orders", str(path), check=False, env=env)
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    assert "line 1: transaction 990001: rejected (amount: 1e+308 is outside [0, 100000])" in output
    assert (
        "line 2: transaction 990001: rejected (amount: 100000.01 is outside [0, 100000])" in output
    )
