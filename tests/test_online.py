"""After the demo's materialization, online values equal the latest offline values."""

import pandas as pd
import pytest

from feature_repo.store_operations import training_frame
from tests.independent import same_value

SERVICE = "churn_model_v1"


@pytest.fixture(scope="module")
def every_user_at_horizon(raw_tables, horizon) -> pd.DataFrame:
    users, _ = raw_tables
    return pd.DataFrame(
        {"user_id": users["user_id"], "event_timestamp": horizon, "request_time": horizon}
    )


def test_online_equals_latest_offline_for_every_user(
    materialized_store, every_user_at_horizon, horizon
):
    assert len(every_user_at_horizon) >= 1_000
    offline = training_frame(materialized_store, every_user_at_horizon, SERVICE)
    online = materialized_store.get_online_features(
        features=materialized_store.get_feature_service(SERVICE),
        entity_rows=every_user_at_horizon[["user_id", "request_time"]].to_dict("records"),
    ).to_df()
    assert online["user_id"].tolist() == offline["user_id"].tolist()
    features = [c for c in online.columns if c not in ("user_id", "request_time")]
    assert len(features) == 2 + 6 + 26  # recency, profile, order statistics
    mismatches = [
        (user, feature, offline_value, online_value)
        for feature in features
        for user, offline_value, online_value in zip(
            offline["user_id"], offline[feature], online[feature], strict=True
        )
        if not same_value(offline_value, online_value)
    ]
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:5]}"
    assert offline["order_count_90d"].gt(0).sum() > 200  # the comparison is not all-empty


def test_unknown_user_gets_missing_values(materialized_store, horizon):
    response = materialized_store.get_online_features(
        features=materialized_store.get_feature_service(SERVICE),
        entity_rows=[{"user_id": 1, "request_time": horizon.to_pydatetime()}],
    ).to_dict()
    assert response["user_id"] == [1]
    assert all(
        values == [None]
        for name, values in response.items()
        if name not in ("user_id", "request_time")
    )


def test_incremental_materialization_is_a_no_op_when_nothing_changed(materialized_store, horizon):
    views = {v.name: v.most_recent_end_time for v in materialized_store.list_feature_views()}
    assert all(end == horizon.to_pydatetime() for end in views.values()), views
