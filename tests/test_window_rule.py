"""The window rule (``transforms/window_rule.py``) holds in every implementation: random order
streams (same-instant orders, orders at the registration instant, ties between delivery types)
go to the batch table (NumPy running totals), the Spark SQL table and the serving ledger, and
each lookup instant (every order, every window exit and the microsecond before it, registration
and the microsecond before it) gets the same values from all three and from the rule applied
by brute force, order by order, with ``window_rule.in_window``."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feature_repo.spark.order_stats import user_order_stats_table as spark_order_stats
from feature_repo.transforms.ledger_windows import ledgers_of, order_stats_at
from feature_repo.transforms.order_stats import user_order_stats_table
from feature_repo.transforms.window_rule import (
    CENTS,
    MONEY_DECIMALS,
    PER_WINDOW,
    WINDOW_DAYS,
    in_window,
)
from tests.independent import same_value

pytestmark = pytest.mark.integration  # Spark
TYPES = ("Burgers", "Pizza", "Sushi")
START = pd.Timestamp("2020-05-01", tz="UTC")
MICRO = pd.Timedelta(microseconds=1)
# order instants in hours after registration: a few shared ones (same instant, exactly a window
# later, at registration) and any other in 100 days
HOURS = st.one_of(st.sampled_from([0, 1, 24, 7 * 24, 30 * 24, 37 * 24]), st.integers(0, 2_400))


@st.composite
def order_streams(draw) -> tuple[pd.DataFrame, pd.DataFrame]:
    user_count = draw(st.integers(1, 3))
    registered = {
        user: START + pd.Timedelta(days=draw(st.integers(0, 2)))
        for user in range(1, user_count + 1)
    }
    rows = []
    for index in range(draw(st.integers(1, 14))):
        user = draw(st.integers(1, user_count))
        coupon = draw(st.integers(0, 1))
        rows.append({
            "transaction_id": 1_000 + index,
            "user_id": user,
            "amount": draw(st.integers(1, 20_000)) / CENTS,
            "shipping_costs": draw(st.integers(0, 900)) / CENTS,
            "discount_coupon": coupon,
            "discount_coupon_amount": draw(st.integers(1, 9)) if coupon else 0,
            "payment_method": "Cash",
            "transaction_date": registered[user] + pd.Timedelta(hours=draw(HOURS)),
            "delivery_type": draw(st.sampled_from(TYPES)),
        })  # fmt: skip
    users = pd.DataFrame(
        {"user_id": list(registered), "registration_date": list(registered.values())}
    )
    users["registration_date"] = users["registration_date"].astype("datetime64[us, UTC]")
    transactions = pd.DataFrame(rows)
    transactions["transaction_date"] = transactions["transaction_date"].astype(
        "datetime64[us, UTC]"
    )
    return users, transactions


def _lookup_instants(users: pd.DataFrame, transactions: pd.DataFrame) -> list[pd.Timestamp]:
    placed = transactions["transaction_date"]
    exits = [placed + pd.Timedelta(days=days) for days in WINDOW_DAYS]
    edges = pd.concat([users["registration_date"], placed, *exits])
    return sorted(set(edges) | {t - MICRO for t in edges})


def _by_rule(orders: pd.DataFrame, at: pd.Timestamp) -> dict:
    """The window values at ``at``, order by order, from the declaration alone."""
    at_us = at.value // 1000
    values = {}
    for days in WINDOW_DAYS:
        placed = orders["transaction_date"]
        mask = [in_window(s.value // 1000, at_us, days) for s in placed]
        inside = orders[pd.Series(mask, index=orders.index, dtype=bool)]
        count = len(inside)
        sums = {"order_count": count}
        for aggregate in PER_WINDOW:
            if aggregate.kind == "money":
                cents = sum(round(v * CENTS) for v in inside[aggregate.source])
                sums[aggregate.name] = round(cents / CENTS, MONEY_DECIMALS)
            elif aggregate.kind == "sum":
                sums[aggregate.name] = int(inside[aggregate.source].sum())
        for aggregate in PER_WINDOW:
            if aggregate.kind == "ratio":
                sums[aggregate.name] = sums[aggregate.numerator] / count if count else math.nan
            elif aggregate.kind == "top":
                tally = inside[aggregate.source].value_counts()
                best = tally[tally == tally.max()].index if count else []
                sums[aggregate.name] = min(best) if count else None
        values.update({a.column(days): sums[a.name] for a in PER_WINDOW})
    return values


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(stream=order_streams())
def test_the_three_implementations_and_the_rule_agree(spark, stream):
    users, transactions = stream
    batch = user_order_stats_table(users, transactions)
    on_spark = spark_order_stats(spark, users, transactions)
    pd.testing.assert_frame_equal(on_spark, batch, check_dtype=False)

    registrations = users.set_index("user_id")["registration_date"].to_dict()
    for at in _lookup_instants(users, transactions):
        rows = batch[batch["event_timestamp"] <= at].groupby("user_id").tail(1).set_index("user_id")
        known = transactions[transactions["transaction_date"] <= at]
        ledgers = ledgers_of(registrations, known)  # what the online store holds at ``at``
        for user, registered in registrations.items():
            served = order_stats_at(ledgers[user], at.value // 1000)
            if at < registered:
                assert user not in rows.index and served is None
                continue
            expected = _by_rule(known[known["user_id"] == user], at)
            row = rows.loc[user]
            assert (
                row["lifetime_order_count"]
                == served["lifetime_order_count"]
                == ((known["user_id"] == user).sum())
            )
            for name, value in expected.items():
                assert same_value(row[name], value), (user, at, name, row[name], value)
                assert same_value(served[name], value), (user, at, name, served[name], value)
