"""The serving module: real values for real users, TTL applied as offline, clear errors."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from feature_repo.repository.store import open_store
from feature_repo.serving.errors import (
    InvalidEntityError,
    MissingRequestDataError,
    OnlineStoreUnavailableError,
    UnknownFeatureServiceError,
)
from feature_repo.serving.lookup.checkout import CheckoutFeatures, features_for_checkout
from feature_repo.serving.lookup.online_features import FeatureStatus, OnlineFeatureReader
from feature_repo.training.frames import training_frame
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
    views = ["user_profile", "user_order_stats", "user_order_ledger"]  # the ledger serves stats
    store.materialize(start, (horizon + LATE).to_pydatetime(), feature_views=views)
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


@pytest.mark.parametrize(
    "row",
    [
        {"user_id": 112312},
        {"user_id": -(2**63)},
        {"user_id": 2**63 - 1},
        {"user_id": 0},
    ],
)
def test_entity_keys_are_serialized_as_feast_serializes_them(row):
    from feast.infra.key_encoding_utils import serialize_entity_key
    from feast.protos.feast.types.EntityKey_pb2 import EntityKey
    from feast.protos.feast.types.Value_pb2 import Value
    from feast.value_type import ValueType

    from feature_repo.serving.entity_keys import EntityKeyEncoder

    encoder = EntityKeyEncoder(["user_id"], {"user_id": ValueType.INT64})
    proto = EntityKey(join_keys=["user_id"], entity_values=[Value(int64_val=row["user_id"])])
    assert encoder.encode(row) == serialize_entity_key(proto, 3)
    two = EntityKeyEncoder(["zone", "a_id"], {"zone": ValueType.STRING, "a_id": ValueType.INT32})
    both = EntityKey(
        join_keys=["zone", "a_id"],
        entity_values=[Value(string_val="Hell's Kitchen"), Value(int32_val=7)],
    )
    assert two.encode({"zone": "Hell's Kitchen", "a_id": 7}) == serialize_entity_key(both, 3)


def test_lean_reader_equals_stock_on_the_demo_store(materialized_store, raw_tables, horizon):
    """Every user through the checkout service (stock SQLite class), unknown ids included."""
    from tests.stock_reads import lean_vs_stock

    users = raw_tables[0]["user_id"].tolist() + [1, 2]
    reader = OnlineFeatureReader(materialized_store, "checkout_model_v1")
    at = horizon.to_pydatetime()
    rows = [{"user_id": u, "request_time": at, "cart_amount": 12.0} for u in users]
    differences = lean_vs_stock(materialized_store, reader, rows, at)
    assert not differences, differences[:3]


def test_redis_down_is_a_clear_serving_error(built_data, tmp_path, horizon):
    from devtools.local_servers import RedisServer
    from tests.stores import profile_config

    server = RedisServer(tmp_path / "redis").start()
    try:
        config = profile_config("redis", tmp_path, {"DELIVERY_FS_REDIS": server.endpoint}, "down")
        from tests.cli_runner import run_cli

        run_cli("feast", "-f", str(config), "apply")
        store = open_store(config_path=config)
        store.materialize(
            (horizon - timedelta(days=30)).to_pydatetime(),
            horizon.to_pydatetime(),
            ["user_profile"],
        )
        reader = OnlineFeatureReader(store, "churn_model_v1")
        found = reader.read([{"user_id": 112312}], now=horizon.to_pydatetime())
        assert found[0]["operating_system"].status in (
            FeatureStatus.PRESENT,
            FeatureStatus.NOT_FOUND,
        )
    finally:
        server.stop()
    with pytest.raises(
        OnlineStoreUnavailableError, match=f"Redis at {server.endpoint} .* unreachable"
    ):
        reader.read([{"user_id": 112312}])


def test_unknown_user_gets_not_found_on_redis_too(built_data, tmp_path, horizon, redis_server):
    """Stock Feast answers an unknown id on Redis with PRESENT nulls; the lean reader says NOT_FOUND."""
    from tests.cli_runner import run_cli
    from tests.stores import profile_config

    config = profile_config(
        "redis", tmp_path, {"DELIVERY_FS_REDIS": redis_server.endpoint}, "unknown"
    )
    run_cli("feast", "-f", str(config), "apply")
    store = open_store(config_path=config)
    features = features_for_checkout(7, 20.0, store=store, now=horizon.to_pydatetime())
    assert not features.known_user
    assert set(features.statuses.values()) == {FeatureStatus.NOT_FOUND}
