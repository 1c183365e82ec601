"""Transaction-level and request-time features against values worked out by hand."""

from datetime import UTC, datetime

import pandas as pd
import pytest

from feature_repo.transforms.request_features import (
    checkout_arrays,
    checkout_features,
    recency_arrays,
    recency_features,
)
from feature_repo.transforms.transaction_features import transaction_features_table

UTC = UTC


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_transaction_features():
    users = pd.DataFrame({"user_id": [1], "registration_date": [_utc("2020-04-01")]})
    transactions = pd.DataFrame(
        {
            "transaction_id": [7, 5, 6],
            "user_id": [1, 1, 1],
            "amount": [40.00, 20.00, 8.00],
            "shipping_costs": [1.99, 0.0, 2.99],
            "discount_coupon": [1, 0, 1],
            "discount_coupon_amount": [10, 0, 10],
            "payment_method": ["Cash", "Credit card", "Cash"],
            # 2020-04-04 is a Saturday; transactions 6 and 7 share a second.
            "transaction_date": [
                _utc("2020-04-04 19:30:00"),
                _utc("2020-04-02 12:00:00"),
                _utc("2020-04-04 19:30:00"),
            ],
            "delivery_type": ["Sushi", "Pizza", "Salads"],
        }
    )
    table = transaction_features_table(users, transactions).set_index("transaction_id")
    assert table.loc[5, "user_order_number"] == 1 and table.loc[6, "user_order_number"] == 2
    assert table.loc[7, "user_order_number"] == 3
    assert pd.isna(table.loc[5, "hours_since_previous_order"])
    assert table.loc[6, "hours_since_previous_order"] == pytest.approx(55.5)  # 2 days 7.5 hours
    assert table.loc[7, "hours_since_previous_order"] == 0.0
    assert (
        table.loc[7, "net_amount"] == 30.00 and table.loc[6, "net_amount"] == 0.0
    )  # never below zero
    assert table.loc[7, "discount_share"] == 0.25
    assert bool(table.loc[7, "discount_coupon_used"]) and not bool(
        table.loc[5, "discount_coupon_used"]
    )
    assert table.loc[7, "order_hour_utc"] == 19 and table.loc[7, "order_day_of_week"] == 5
    assert bool(table.loc[7, "is_weekend"]) and not bool(table.loc[5, "is_weekend"])
    assert (
        table.loc[5, "days_since_registration"] == 1
        and table.loc[7, "days_since_registration"] == 3
    )
    assert table.loc[7, "event_timestamp"] == _utc("2020-04-04 19:30:00")


def test_recency_features_with_missing_inputs():
    now = datetime(2020, 10, 31, 6, 0, tzinfo=UTC)
    result = recency_features(
        registered_at=[datetime(2020, 10, 1, tzinfo=UTC), None],
        last_order_at=[datetime(2020, 10, 30, 7, 0, tzinfo=UTC), None],
        request_time=[now, now],
    )
    assert result == {"tenure_days": [30, None], "days_since_last_order": [0, None]}


def test_checkout_features():
    result = checkout_features(cart_amount=[30.0, 30.0], spend_mean_30d=[20.0, None])
    assert result == {
        "cart_amount_vs_mean_30d": [1.5, None],
        "cart_amount_minus_mean_30d": [10.0, None],
    }


def test_vectorised_forms_give_the_list_forms_values_on_columns():
    """The offline store's column path (Series in) and the online list path (lists in) agree,
    missing and zero means included; both against the hand-worked values above."""
    now = pd.Timestamp("2020-10-31 06:00", tz="UTC")
    registered = pd.Series([pd.Timestamp("2020-10-01", tz="UTC"), pd.NaT])
    last_order = pd.Series([pd.Timestamp("2020-10-30 07:00", tz="UTC"), pd.NaT])
    recency = recency_arrays(registered, last_order, pd.Series([now, now]))
    assert recency["tenure_days"][0] == 30 and pd.isna(recency["tenure_days"][1])
    assert recency["days_since_last_order"][0] == 0 and pd.isna(recency["days_since_last_order"][1])
    checkout = checkout_arrays(pd.Series([30.0, 30.0, 5.0]), pd.Series([20.0, None, 0.0]))
    assert checkout["cart_amount_vs_mean_30d"][0] == 1.5
    assert pd.isna(checkout["cart_amount_vs_mean_30d"][1:]).all()  # no mean, or a zero mean
    assert checkout["cart_amount_minus_mean_30d"][0] == 10.0
    assert checkout_features([30.0, 5.0], [20.0, 0.0]) == {
        "cart_amount_vs_mean_30d": [1.5, None],
        "cart_amount_minus_mean_30d": [10.0, 5.0],
    }
