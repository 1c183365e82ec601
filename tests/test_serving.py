"""The serving module: real values for real users, TTL applied as offline, clear errors."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from feature_repo.serving.checkout import CheckoutFeatures, features_for_checkout
from feature_repo.serving.errors import (
    InvalidEntityError,
    MissingRequestDataError,
    OnlineStoreUnavailableError,
    UnknownFeatureServiceError,
)
from feature_repo.serving.online_features import FeatureStatus, OnlineFeatureReader
from feature_repo.store_operations import open_store, training_frame
from tests.conftest import SESSION_DIR, applied_store_config
from tests.independent import same_value

LATE = timedelta(days=400)  # past the order statistics' 365-day TTL for users who stopped ordering


@pytest.fixture(scope="module")
def late_store(built_data, horizon):
    """A second store loaded with the latest row of every user up to horizon + 400 days.

    `feast materialize START END` ignores the TTL, so rows older than it reach the online store.
    """
    store = open_store(config_path=applied_store_config(SESSION_DIR / "late_store"))
    start = datetime(2020, 1, 1, tzinfo=UTC)
    store.materialize(
        start, (horizon + LATE).to_pydatetime(), feature_views=["user_profile", "user_order_stats"]
    )
    return store


def _offline(store, users, at, service, **request) -> pd.DataFrame:
    rows = pd.DataFrame({"user_id": users, "event_timestamp": at, "request_time": at, **request})
    return training_frame(store, rows, service)


def test_checkout_features_equal_the_training_data(materialized_store, raw_tables, horizon):
    users = raw_tables[0]["user_id"].tolist()[:300]
    offline = _offline(materialized_store, users, horizon, "checkout_model_v1", cart_amount=42.5)
    for row in offline.itertuples(index=False):
        online = features_for_checkout(
            row.user_id, 42.5, store=materialized_store, now=horizon.to_pydatetime()
        )
        assert isinstance(online, CheckoutFeatures) and online.user_id == row.user_id
        for name in CheckoutFeatures.feature_names():
            assert same_value(getattr(row, name), getattr(online, name)), (row.user_id, name)
            present = getattr(online, name) is not None
            assert (online.statuses[name] is FeatureStatus.PRESENT) == present, (row.user_id, name)
    assert offline["order_count_30d"].gt(0).sum() >= 50  # real values, not only missing ones


def test_ttl_is_honoured_online_as_offline(late_store, raw_tables, horizon):
    at = horizon + LATE
    users = raw_tables[0]["user_id"].tolist()
    offline = _offline(late_store, users, at, "churn_model_v1")
    reader = OnlineFeatureReader(late_store, "churn_model_v1")
    online = reader.read([{"user_id": u} for u in users], now=at.to_pydatetime())
    stale = 0
    for row, values in zip(offline.itertuples(index=False), online, strict=True):
        for name, served in values.items():
            assert same_value(getattr(row, name), served.value), (row.user_id, name, served)
            stale += served.status is FeatureStatus.OUTSIDE_MAX_AGE
    assert stale > 100, "the scenario should contain values older than their TTL"

    # Feast alone serves those stale values as PRESENT: the skew this module removes.
    stale_user = next(
        u for u, values in zip(users, online, strict=True)
        if values["order_count_30d"].status is FeatureStatus.OUTSIDE_MAX_AGE
    )  # fmt: skip
    raw = late_store.get_online_features(
        features=["user_order_stats:order_count_30d"], entity_rows=[{"user_id": stale_user}]
    ).to_dict()
    assert raw["order_count_30d"][0] is not None


def test_unknown_user_gets_missing_values_and_not_found(materialized_store, horizon):
    features = features_for_checkout(1, 20.0, store=materialized_store, now=horizon.to_pydatetime())
    assert not features.known_user
    assert all(getattr(features, name) is None for name in CheckoutFeatures.feature_names())
    assert set(features.statuses.values()) == {FeatureStatus.NOT_FOUND}


@pytest.mark.parametrize(
    ("rows", "error", "message"),
    [
        (
            [{"user_id": "123151", "cart_amount": 1.0}],
            InvalidEntityError,
            "'user_id' must be INT64 (int); got '123151'",
        ),
        ([], InvalidEntityError, "non-empty list of entity rows"),
        ([{"cart_amount": 1.0}], InvalidEntityError, "needs the join key 'user_id'"),
        ([{"user_id": 123151}], MissingRequestDataError, "needs the request field 'cart_amount'"),
    ],
)
def test_bad_entity_rows(materialized_store, rows, error, message):
    reader = OnlineFeatureReader(materialized_store, "checkout_model_v1")
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        reader.read(rows)


def test_unknown_service_and_feature_names(materialized_store):
    with pytest.raises(
        UnknownFeatureServiceError,
        match=r"'fraud_model_v9'; expected one of \['checkout_model_v1', 'churn_model_v1'",
    ):
        OnlineFeatureReader(materialized_store, "fraud_model_v9")
    with pytest.raises(
        UnknownFeatureServiceError, match="feature 'order_count_8d' of view 'user_order_stats'"
    ):
        OnlineFeatureReader(materialized_store, feature_refs=["user_order_stats:order_count_8d"])


def test_unreachable_store_is_named(store_config, tmp_path):
    broken = tmp_path / "feature_store.yaml"
    missing_dir = tmp_path / "no-such-dir" / "online.db"
    broken.write_text(
        store_config.read_text().replace(
            str(SESSION_DIR / "store" / "online_store.db"), str(missing_dir)
        )
    )
    reader = OnlineFeatureReader(open_store(config_path=broken), "churn_model_v1")
    with pytest.raises(OnlineStoreUnavailableError, match=f"SQLite online store at {missing_dir}"):
        reader.read([{"user_id": 123151}])
