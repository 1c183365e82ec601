"""Trailing-window order statistics on a small history worked out by hand."""

import math

import pandas as pd
import pytest

from feature_repo.transforms.order_stats import user_order_stats_table


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


T1 = _utc("2020-04-02 12:00:00")  # two orders in the same second
T3 = _utc("2020-04-05 08:00:00")
T4 = _utc("2020-05-20 10:00:00")


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    users = pd.DataFrame(
        {"user_id": [1, 2], "registration_date": [_utc("2020-04-01"), _utc("2020-04-03")]}
    )
    transactions = pd.DataFrame(
        {
            "transaction_id": [10, 11, 12, 13],
            "user_id": [1, 1, 1, 1],
            "amount": [10.00, 20.00, 30.50, 12.25],
            "shipping_costs": [2.00, 0.00, 1.50, 0.00],
            "discount_coupon": [1, 0, 1, 0],
            "discount_coupon_amount": [3, 0, 5, 0],
            "payment_method": ["Cash"] * 4,
            "transaction_date": [T1, T1, T3, T4],
            "delivery_type": ["Pizza", "Chicken", "Chicken", "Sushi"],
        }
    )
    return user_order_stats_table(users, transactions)


def _row(table: pd.DataFrame, user_id: int, at: pd.Timestamp) -> pd.Series:
    rows = table[(table.user_id == user_id) & (table.event_timestamp == at)]
    assert len(rows) == 1, f"expected one row for user {user_id} at {at}, got {len(rows)}"
    return rows.iloc[0]


def test_a_row_at_registration_and_at_every_change(table):
    days = pd.Timedelta(days=1)
    expected = sorted(
        {_utc("2020-04-01"), T1, T3, T4} | {t + w * days for t in (T1, T3, T4) for w in (7, 30, 90)}
    )
    assert table[table.user_id == 1]["event_timestamp"].tolist() == expected
    assert len(expected) == 13


def test_registration_starts_every_count_at_zero(table):
    never_ordered = _row(table, 2, _utc("2020-04-03"))
    assert never_ordered["order_count_7d"] == 0 and never_ordered["spend_sum_90d"] == 0
    assert math.isnan(never_ordered["spend_mean_30d"]) and math.isnan(
        never_ordered["coupon_rate_7d"]
    )
    assert never_ordered["top_delivery_type_7d"] is None
    assert pd.isna(never_ordered["last_order_at"]) and never_ordered["lifetime_order_count"] == 0


def test_equal_timestamps_both_count_and_ties_go_alphabetical(table):
    row = _row(table, 1, T1)
    assert row["order_count_7d"] == 2
    assert row["spend_sum_7d"] == 30.00
    assert row["spend_mean_7d"] == 15.00
    assert row["shipping_costs_sum_7d"] == 2.00
    assert row["coupon_count_7d"] == 1  # the 0/1 flag summed, not the rows counted
    assert row["coupon_rate_7d"] == 0.5
    assert row["discount_amount_sum_7d"] == 3
    assert row["top_delivery_type_7d"] == "Chicken"  # Chicken 1, Pizza 1: alphabetical
    assert row["last_order_at"] == T1 and row["lifetime_order_count"] == 2


def test_third_order(table):
    row = _row(table, 1, T3)
    assert row["order_count_7d"] == 3
    assert row["spend_sum_7d"] == 60.50
    assert row["spend_mean_7d"] == pytest.approx(60.50 / 3)
    assert row["coupon_count_7d"] == 2 and row["coupon_rate_7d"] == pytest.approx(2 / 3)
    assert row["discount_amount_sum_7d"] == 8
    assert row["top_delivery_type_7d"] == "Chicken"


def test_windows_expire_exactly_w_days_after_an_order(table):
    seven = pd.Timedelta(days=7)
    first_two_leave = _row(table, 1, T1 + seven)
    assert first_two_leave["order_count_7d"] == 1 and first_two_leave["spend_sum_7d"] == 30.50
    assert first_two_leave["discount_amount_sum_7d"] == 5
    assert first_two_leave["order_count_30d"] == 3
    empty_week = _row(table, 1, T3 + seven)
    assert empty_week["order_count_7d"] == 0 and empty_week["spend_sum_7d"] == 0
    assert math.isnan(empty_week["spend_mean_7d"]) and empty_week["top_delivery_type_7d"] is None
    assert empty_week["order_count_30d"] == 3
    assert _row(table, 1, T1 + pd.Timedelta(days=30))["order_count_30d"] == 1
    assert _row(table, 1, T3 + pd.Timedelta(days=30))["order_count_30d"] == 0
    assert _row(table, 1, T1 + pd.Timedelta(days=90))["order_count_90d"] == 2


def test_ninety_day_window_after_a_gap(table):
    row = _row(table, 1, T4)
    assert (row["order_count_7d"], row["order_count_30d"], row["order_count_90d"]) == (1, 1, 4)
    assert row["spend_sum_90d"] == 72.75
    assert row["top_delivery_type_90d"] == "Chicken"  # Chicken 2, Pizza 1, Sushi 1
    assert row["top_delivery_type_7d"] == "Sushi"
    assert row["lifetime_order_count"] == 4 and row["last_order_at"] == T4
    after_everything = _row(table, 1, T4 + pd.Timedelta(days=90))
    assert (
        after_everything["order_count_90d"] == 0 and after_everything["lifetime_order_count"] == 4
    )
    assert after_everything["last_order_at"] == T4
