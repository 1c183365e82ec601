"""The generator: the tutorial's columns, types, sizes and shares, deterministic for a seed."""

import pandas as pd
import pytest

from feature_repo.core import raw_format as tf
from feature_repo.pipeline.generate import generate_tutorial_data


@pytest.fixture(scope="module")
def tutorial_size():
    return generate_tutorial_data(seed=42, scale=1.0)


def test_columns_and_types_are_the_tutorials(tutorial_size):
    assert list(tutorial_size.users.columns) == list(tf.USER_COLUMNS)
    assert list(tutorial_size.transactions.columns) == list(tf.TRANSACTION_COLUMNS)
    users, transactions = tutorial_size.users, tutorial_size.transactions
    assert users["user_id"].dtype == "int64"
    for column in ("transaction_id", "user_id", "discount_coupon", "discount_coupon_amount"):
        assert transactions[column].dtype == "int64", column
    for column in ("amount", "shipping_costs"):
        assert transactions[column].dtype == "float64", column
    pd.to_datetime(users["registration_date"], format="%Y-%m-%d")
    pd.to_datetime(transactions["transaction_date"], format="%Y-%m-%d %H:%M:%S")


def test_sizes_and_ranges_are_the_tutorials(tutorial_size):
    users, transactions = tutorial_size.users, tutorial_size.transactions
    assert len(users) == 12_450 and len(transactions) == 223_971
    assert users["user_id"].min() == 112_312 and users["user_id"].max() == 124_761
    assert transactions["user_id"].nunique() == 9_658  # about a fifth of users never order
    assert transactions["transaction_id"].is_unique
    dates = pd.to_datetime(transactions["transaction_date"])
    assert dates.min() >= pd.Timestamp("2020-04-01") and dates.max() < pd.Timestamp("2020-10-31")
    assert users["registration_date"].between("2020-04-01", "2020-10-30").all()
    assert users["birth_date"].between(*tf.TUTORIAL_BIRTH_DATE_RANGE).all()


def test_orders_come_after_registration(tutorial_size):
    users, transactions = tutorial_size.users, tutorial_size.transactions
    registered = transactions["user_id"].map(users.set_index("user_id")["registration_date"])
    assert (pd.to_datetime(transactions["transaction_date"]) >= pd.to_datetime(registered)).all()


def test_category_shares_follow_the_tutorial(tutorial_size):
    users = tutorial_size.users
    assert set(users["neighborhoods"]) == set(tf.NEIGHBORHOOD_COUNTS)
    assert "Hell's Kitchen" in set(users["neighborhoods"])
    for column, counts in (
        ("registration_channel", tf.REGISTRATION_CHANNEL_COUNTS),
        ("system_operation", tf.SYSTEM_OPERATION_COUNTS),
        ("type_service", tf.TYPE_SERVICE_COUNTS),
    ):
        observed = users[column].value_counts(normalize=True)
        for label, count in counts.items():
            assert observed[label] == pytest.approx(count / 12_450, abs=0.015), (column, label)


def test_money_is_realistic(tutorial_size):
    transactions = tutorial_size.transactions
    assert (transactions["amount"] >= 5).all() and 15 < transactions["amount"].median() < 40
    assert (transactions["shipping_costs"] >= 0).all() and transactions["shipping_costs"].max() < 10
    assert set(transactions["discount_coupon"]) == {0, 1}
    with_coupon = transactions[transactions["discount_coupon"] == 1]
    assert (with_coupon["discount_coupon_amount"] > 0).all()
    assert (
        transactions.loc[transactions["discount_coupon"] == 0, "discount_coupon_amount"] == 0
    ).all()
    assert (transactions["discount_coupon_amount"] <= transactions["amount"]).all()


def test_same_seed_same_data_and_scale_multiplies():
    first, second = (
        generate_tutorial_data(seed=3, scale=0.05),
        generate_tutorial_data(seed=3, scale=0.05),
    )
    pd.testing.assert_frame_equal(first.transactions, second.transactions)
    pd.testing.assert_frame_equal(first.users, second.users)
    other = generate_tutorial_data(seed=4, scale=0.05)
    assert not other.transactions["amount"].equals(first.transactions["amount"])
    double = generate_tutorial_data(seed=3, scale=0.1)
    assert (len(first.users), len(double.users)) == (622, 1_245)  # 12,450 x 0.05 and x 0.1, rounded
    assert len(double.transactions) == round(223_971 * 0.1)


def test_generated_in_parts_the_totals_and_rules_hold(monkeypatch):
    import feature_repo.pipeline.generate as generate

    monkeypatch.setattr(generate, "USERS_PER_PART", 100)
    tables = generate.generate_tutorial_data(seed=3, scale=0.05)  # 622 users: 7 parts
    users, transactions = tables.users, tables.transactions
    assert len(users) == 622 and len(transactions) == round(223_971 * 0.05)
    assert users["user_id"].is_unique and transactions["transaction_id"].is_unique
    assert users["user_id"].diff().dropna().eq(1).all()  # contiguous across parts
    registered = transactions["user_id"].map(users.set_index("user_id")["registration_date"])
    assert (transactions["transaction_date"].str[:10] >= registered).all()
    assert transactions["user_id"].isin(users["user_id"]).all()
    last_part = users["user_id"].iloc[600:]  # the last part has its own users' orders
    assert transactions["user_id"].isin(last_part).any()
