"""get_historical_features equals an independent computation from the raw transactions.

The sample mixes random (user, time) rows with the hard cases: users without orders,
instants exactly at an order (including orders placed in the same second), instants at
and just before a window's expiry, and instants before the user registered. Every test runs
on Feast's stock DuckDB store and on the project's offline store (its ASOF join).
"""

import numpy as np
import pandas as pd
import pytest

from feature_repo.repository.store import open_store
from feature_repo.training.frames import training_frame
from tests.independent import expected_user_features, same_value

SERVICE = "churn_model_v1"
ONE_SECOND = pd.Timedelta(seconds=1)


@pytest.fixture(scope="module", params=["stock duckdb", "project store"])
def store(request, store_config, tmp_path_factory):
    """The test store as configured, and the same registry read through the project's class."""
    if request.param == "stock duckdb":
        return open_store(config_path=store_config)
    directory = tmp_path_factory.mktemp("project-offline-store")
    text = store_config.read_text().replace(
        "type: duckdb", "type: feature_repo.offline.duckdb_store.DeliveryDuckDBOfflineStore"
    )
    config = directory / "feature_store.yaml"
    config.write_text(text)  # the same registry and online store, read only here
    return open_store(config_path=config)


@pytest.fixture(scope="module")
def entity_rows(raw_tables, horizon) -> pd.DataFrame:
    users, transactions = raw_tables
    rng = np.random.default_rng(11)
    buyers = transactions["user_id"].unique()
    non_buyers = np.setdiff1d(users["user_id"], buyers)
    start = pd.Timestamp("2020-03-15", tz="UTC")
    span = (horizon + pd.Timedelta(days=100) - start).total_seconds()

    def random_times(n):
        return start + pd.to_timedelta(rng.random(n) * span, unit="s").round("s")

    picked_orders = transactions.iloc[rng.integers(0, len(transactions), 60)]
    same_second = transactions[transactions.duplicated(["user_id", "transaction_date"], keep=False)]
    assert len(same_second) > 0, (
        "the generated data should contain orders placed in the same second"
    )
    expiring = transactions.iloc[rng.integers(0, len(transactions), 40)]
    registered = users.set_index("user_id")["registration_date"]
    early_users = users["user_id"].to_numpy()[rng.integers(0, len(users), 20)]
    parts = [
        pd.DataFrame(
            {
                "user_id": users["user_id"].to_numpy()[rng.integers(0, len(users), 100)],
                "event_timestamp": random_times(100),
            }
        ),
        pd.DataFrame({"user_id": rng.choice(non_buyers, 30), "event_timestamp": random_times(30)}),
        picked_orders[["user_id", "transaction_date"]].rename(
            columns={"transaction_date": "event_timestamp"}
        ),
        same_second[["user_id", "transaction_date"]]
        .head(20)
        .rename(columns={"transaction_date": "event_timestamp"}),
    ]
    for days in (7, 30, 90):
        expiry = expiring["transaction_date"] + pd.Timedelta(days=days)
        parts.append(pd.DataFrame({"user_id": expiring["user_id"], "event_timestamp": expiry}))
        parts.append(
            pd.DataFrame({"user_id": expiring["user_id"], "event_timestamp": expiry - ONE_SECOND})
        )
    parts.append(
        pd.DataFrame(
            {
                "user_id": early_users,
                "event_timestamp": registered.loc[early_users].to_numpy() - pd.Timedelta(hours=5),
            }
        )
    )
    parts.append(
        pd.DataFrame(
            {"user_id": early_users, "event_timestamp": registered.loc[early_users].to_numpy()}
        )
    )
    rows = pd.concat(parts, ignore_index=True)
    rows["event_timestamp"] = pd.to_datetime(rows["event_timestamp"], utc=True)
    rows["request_time"] = rows["event_timestamp"]
    return rows


@pytest.fixture(scope="module")
def frame(store, entity_rows) -> pd.DataFrame:
    return training_frame(store, entity_rows, SERVICE)


def test_no_entity_row_is_lost(frame, entity_rows):
    assert len(frame) == len(entity_rows)
    assert frame["user_id"].tolist() == entity_rows["user_id"].tolist()
    assert frame["event_timestamp"].tolist() == entity_rows["event_timestamp"].tolist()


def test_every_value_matches_the_independent_computation(frame, raw_tables, store):
    users, transactions = raw_tables
    features = [
        f.name
        for p in store.get_feature_service(SERVICE).feature_view_projections
        for f in p.features
    ]
    mismatches = []
    for row in frame.itertuples(index=False):
        expected = expected_user_features(users, transactions, row.user_id, row.event_timestamp)
        for feature in features:
            actual = getattr(row, feature)
            if not same_value(expected.get(feature), actual):
                mismatches.append(
                    (row.user_id, row.event_timestamp, feature, expected.get(feature), actual)
                )
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:5]}"


def test_the_sample_covers_the_hard_cases(frame):
    before_registration = frame["age_years"].isna()
    no_orders_yet = frame["order_count_90d"].eq(0)
    emptied_week = frame["order_count_7d"].eq(0) & frame["order_count_30d"].gt(0)
    assert before_registration.sum() >= 20
    assert no_orders_yet.sum() >= 20
    assert emptied_week.sum() >= 20


def test_results_do_not_depend_on_the_working_directory(
    store, entity_rows, frame, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    elsewhere = training_frame(store, entity_rows.head(40), SERVICE)
    pd.testing.assert_frame_equal(elsewhere, frame.head(40))
