"""The order ledger's windows at read time equal the batch table's row at the same instant."""

import math

import numpy as np
import pandas as pd
import pytest

from feature_repo.transforms.ledger_windows import (
    MICROS_PER_DAY,
    OrderLedger,
    ledgers_of,
    order_from_row,
    order_stats_at,
)
from feature_repo.transforms.order_stats import WINDOW_DAYS, user_order_stats_table
from tests.independent import same_value

TYPES = ["Pizza", "Chicken", "Sushi", "Burgers"]
START = pd.Timestamp("2020-04-01", tz="UTC")


@pytest.fixture(scope="module")
def history():
    """40 users, 600 orders over 200 days, with same-instant orders and ties between types."""
    rng = np.random.default_rng(5)
    users = pd.DataFrame(
        {
            "user_id": np.arange(1, 41),
            "registration_date": START + pd.to_timedelta(rng.integers(0, 20, 40), unit="D"),
        }
    )
    count = 600
    user_ids = rng.integers(1, 41, count)
    registered = users.set_index("user_id").loc[user_ids, "registration_date"].to_numpy()
    seconds = rng.integers(0, 200 * 86_400, count)
    placed = pd.Series(registered) + pd.to_timedelta(seconds, unit="s")
    placed[1::7] = placed[0::7].to_numpy()[: len(placed[1::7])]  # same instant, other user too
    user_ids[1::7] = user_ids[0::7][: len(user_ids[1::7])]
    transactions = pd.DataFrame(
        {
            "transaction_id": rng.permutation(np.arange(1000, 1000 + count)),
            "user_id": user_ids,
            "amount": np.round(rng.uniform(1, 80, count), 2),
            "shipping_costs": np.round(rng.uniform(0, 6, count), 2),
            "discount_coupon": rng.integers(0, 2, count),
            "discount_coupon_amount": rng.integers(0, 9, count),
            "payment_method": "Cash",
            "transaction_date": placed.dt.tz_convert("UTC").astype("datetime64[us, UTC]"),
            "delivery_type": rng.choice(TYPES, count),
        }
    )
    return users, transactions


def _instants(table: pd.DataFrame, transactions: pd.DataFrame) -> list[pd.Timestamp]:
    """Every change instant, 1 µs before each, exactly s + W and s + W - 1 µs, and random ones."""
    micro = pd.Timedelta(microseconds=1)
    changes = pd.Series(table["event_timestamp"].unique())
    exits = [transactions["transaction_date"] + pd.Timedelta(days=d) for d in WINDOW_DAYS]
    candidates = pd.concat([changes, changes - micro, *exits, *(e - micro for e in exits)])
    return sorted(
        candidates.sample(400, random_state=3).tolist() + [START + pd.Timedelta(days=400)]
    )


def test_windows_at_any_instant_equal_the_batch_row(history):
    users, transactions = history
    table = user_order_stats_table(users, transactions)
    registrations = users.set_index("user_id")["registration_date"].to_dict()
    compared = 0
    for at in _instants(table, transactions):
        known = transactions[transactions["transaction_date"] <= at]
        ledgers = ledgers_of(registrations, known)
        rows = table[table["event_timestamp"] <= at].groupby("user_id").tail(1)
        batch = rows.set_index("user_id")
        at_us = int(at.value // 1000)
        for user_id, ledger in ledgers.items():
            computed = order_stats_at(ledger, at_us)
            if user_id not in batch.index:
                assert computed is None, (user_id, at)
                continue
            expected = batch.loc[user_id]
            assert computed["row_start_us"] == expected["event_timestamp"].value // 1000
            last = expected["last_order_at"]
            assert computed["last_order_at_us"] == (None if pd.isna(last) else last.value // 1000)
            for name, value in expected.items():
                if name not in ("event_timestamp", "last_order_at"):
                    assert same_value(value, computed[name]), (user_id, at, name)
                    if isinstance(value, float) and not math.isnan(value):
                        assert value == computed[name], (user_id, at, name)  # exactly, not 1e-9
            compared += 1
    assert compared > 10_000


def test_an_order_leaves_the_7_day_window_exactly_7_days_later():
    row = pd.Series(
        {
            "transaction_id": 1, "amount": 10.10, "shipping_costs": 0.2, "discount_coupon": 1,
            "discount_coupon_amount": 3, "delivery_type": "Thai",
            "transaction_date": pd.Timestamp("2020-05-01 10:00:00", tz="UTC"),
        }
    )  # fmt: skip
    order = order_from_row(row)
    ledger = OrderLedger(registered_at_us=0).with_order(order)
    week = order.instant_us + 7 * MICROS_PER_DAY
    before, at = order_stats_at(ledger, week - 1), order_stats_at(ledger, week)
    assert before["order_count_7d"] == 1 and before["spend_sum_7d"] == 10.10
    assert before["top_delivery_type_7d"] == "Thai" and before["coupon_rate_7d"] == 1.0
    assert at["order_count_7d"] == 0 and at["top_delivery_type_7d"] is None
    assert math.isnan(at["spend_mean_7d"]) and at["order_count_30d"] == 1
    assert at["row_start_us"] == week and at["lifetime_order_count"] == 1
    with pytest.raises(ValueError, match="not newer"):
        ledger.with_order(order)


@pytest.mark.parametrize(
    ("value_type", "values"),
    [
        ("INT64", [3, -(2**63), None]),
        ("DOUBLE", [1.25, math.nan, None, 0.1 + 0.2]),
        ("STRING", ["Pizza", "", None]),
        ("BOOL", [True, False, None]),
        ("UNIX_TIMESTAMP", [pd.Timestamp("2020-05-01 10:00:00.7", tz="UTC").to_pydatetime(), None]),
        ("INT64_LIST", [[1, 2, 3], []]),
        ("STRING_LIST", [["Thai", "Sushi"], []]),
    ],
)
def test_push_values_are_the_bytes_feast_writes(value_type, values):
    from feast.type_map import python_values_to_proto_values
    from feast.value_type import ValueType

    from feature_repo.push.values import converter, python_of

    kind = ValueType[value_type]
    ours = [converter(kind)(v) for v in values]
    feast = python_values_to_proto_values(values, kind)
    assert [p.SerializeToString() for p in ours] == [p.SerializeToString() for p in feast]
    first = values[0] if value_type != "UNIX_TIMESTAMP" else int(values[0].timestamp())
    assert python_of(ours[0]) == first
    assert all(python_of(p) is None for p, v in zip(ours, values, strict=True) if v is None)


def test_the_stored_row_is_served_while_the_ledger_shows_it_in_force():
    """One user, registered on 1 April, orders on 1 and 3 May. The stored row (event time: the
    3 May order) is served as stored until the 1 May order leaves the 7-day window (8 May); from
    then on the row is computed from the ledger, read in the same round trip."""
    from datetime import timedelta

    from feast.type_map import python_values_to_proto_values
    from feast.value_type import ValueType

    from feature_repo.serving.decoding import FeatureStatus
    from feature_repo.serving.lookup.ledger_reads import (
        LedgerRead,
        served_from_ledger,
    )
    from feature_repo.serving.plan import ViewPlan
    from feature_repo.serving.stored_rows import StoredRow
    from feature_repo.transforms.ledger_windows import instant_us, ledger_columns

    def order(transaction_id, day):
        return order_from_row(pd.Series({
            "transaction_id": transaction_id, "amount": 10.0, "shipping_costs": 1.0,
            "discount_coupon": 0, "discount_coupon_amount": 0, "delivery_type": "Thai",
            "transaction_date": pd.Timestamp(f"2020-05-0{day} 10:00", tz="UTC"),
        }))  # fmt: skip

    registered = pd.Timestamp("2020-04-01", tz="UTC")
    ledger = OrderLedger(registered_at_us=instant_us(registered))
    ledger = ledger.with_order(order(1, 1)).with_order(order(2, 3))
    columns = ledger_columns(ledger)
    kinds = {"delivery_types": ValueType.STRING_LIST}
    names = tuple(columns)

    def stored(name):
        value = columns[name]
        kind = kinds.get(name, ValueType.INT64_LIST if isinstance(value, list) else ValueType.INT64)
        return python_values_to_proto_values([value], kind)[0].SerializeToString()

    third_of_may = pd.Timestamp("2020-05-03 10:00", tz="UTC").to_pydatetime()
    full = ViewPlan("user_order_ledger", "user_order_ledger", None, ("user_id",), names, None)
    served = ViewPlan("user_order_stats", "user_order_stats", None, ("user_id",),
                      ("order_count_7d", "order_count_30d"), timedelta(days=90))  # fmt: skip

    def count(value):
        return python_values_to_proto_values([value], ValueType.INT64)[0].SerializeToString()

    # values the ledger cannot give (it has two orders): they show the stored row was served
    stored_row = StoredRow(third_of_may, [count(70), count(700), count(2)])  # then orders counted
    ledger_row = StoredRow(None, [stored(name) for name in names])

    def lookup(at):
        return served_from_ledger([stored_row], [ledger_row], LedgerRead(2, full), served,
                                  at.to_pydatetime())[0]  # fmt: skip

    eighth = pd.Timestamp("2020-05-08 10:00", tz="UTC")
    still = lookup(eighth - pd.Timedelta(microseconds=1))
    assert [v.value for v in still] == [70, 700]
    assert still[0].event_time == third_of_may
    computed = lookup(eighth)  # the 1 May order left the 7-day window: 1 order in it, 2 in 30 days
    present = FeatureStatus.PRESENT
    assert [(v.value, v.status) for v in computed] == [(1, present), (2, present)]
    assert computed[0].event_time == eighth.to_pydatetime()
    # a stored row older than the ledger's latest order (a push not yet written to it) is not served
    older = StoredRow(pd.Timestamp("2020-05-02", tz="UTC").to_pydatetime(),
                      [count(70), count(7), count(1)])  # fmt: skip
    row = served_from_ledger([older], [ledger_row], LedgerRead(2, full), served,
                             third_of_may + timedelta(hours=1))[0]  # fmt: skip
    assert [v.value for v in row] == [2, 2]
    # the row start matches but the stored row misses an order (on Redis a newer stored row is
    # kept when an older order is pushed): computed
    missing = StoredRow(eighth.to_pydatetime(), [count(70), count(700), count(1)])
    row = served_from_ledger([missing], [ledger_row], LedgerRead(2, full), served,
                             eighth.to_pydatetime() + timedelta(days=1))[0]  # fmt: skip
    assert [v.value for v in row] == [1, 2]
    # no ledger row: the stored row as stock Feast serves it
    alone = served_from_ledger([stored_row], [None], LedgerRead(2, full), served,
                               eighth.to_pydatetime())[0]  # fmt: skip
    assert [v.value for v in alone] == [70, 700]
