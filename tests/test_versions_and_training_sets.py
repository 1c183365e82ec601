"""Feature versions, reproducible training sets and the skew check, on a store of the test's own.

The store reads a copy of the session's data, so that new data, a changed feature view and a
rewritten past can be applied to it without touching other tests.
"""

import shutil
from datetime import timedelta

import pandas as pd
import pytest
from feast import FeatureService, FeatureView, Field, FileSource
from feast.types import Float64

from feature_repo.definitions.entities import user
from feature_repo.definitions.user_features import user_order_stats
from feature_repo.repository.store import open_store
from feature_repo.serving.lookup.online_features import OnlineFeatureReader
from feature_repo.training.frames import training_frame
from feature_repo.training.sets import TrainingSetManifest
from tests.cli_runner import run_cli
from tests.conftest import SESSION_DIR, applied_store_config
from tests.independent import expected_user_features, same_value

SERVICE = "churn_model_v1"
NAME = "churn_sample"


@pytest.fixture(scope="module")
def own(built_data, tmp_path_factory):
    root = tmp_path_factory.mktemp("own_repo")
    data = root / "data"
    shutil.copytree(SESSION_DIR / "data", data)
    env = {"DELIVERY_FS_DATA_DIR": str(data)}
    config = applied_store_config(root / "store", env=env)
    env["FEAST_FS_YAML_FILE_PATH"] = str(config)
    return {"root": root, "data": data, "env": env, "store": open_store(config_path=config)}


@pytest.fixture(scope="module")
def entities(raw_tables, horizon) -> pd.DataFrame:
    users, _ = raw_tables
    sample = users.sample(150, random_state=5)
    start = pd.Timestamp("2020-06-01", tz="UTC")
    span = (horizon - pd.Timedelta(days=5) - start).total_seconds()
    offsets = pd.to_timedelta(pd.Series(range(150)) * (span / 150), unit="s").round("s")
    return pd.DataFrame(
        {
            "user_id": sample["user_id"].to_numpy(),
            "event_timestamp": (start + offsets).to_numpy(),
            "request_time": (start + offsets).to_numpy(),
            "label": [i % 2 for i in range(150)],
        }
    )


@pytest.fixture(scope="module")
def manifest_path(own, entities):
    rows = own["root"] / "entities.parquet"
    entities.to_parquet(rows, index=False)
    out = own["root"] / "sets"
    args = ["--service", SERVICE, "--entities", str(rows), "--name", NAME, "--out", str(out)]
    run_cli("delivery-fs", "training-set", *args, env=own["env"])
    return out / f"{NAME}.manifest.json"


def _add_raw_transactions(data, rows: pd.DataFrame) -> None:
    """Append transactions to the raw Parquet file, as a new delivery of data would."""
    path = data / "raw" / "transactions.parquet"
    current = pd.read_parquet(path)
    pd.concat([current, rows], ignore_index=True).to_parquet(path, index=False)


def _rebuild(own, manifest_path):
    return run_cli(
        "delivery-fs",
        "training-set",
        "--from-manifest",
        str(manifest_path),
        check=False,
        env=own["env"],
    )


def test_manifest_pins_versions_and_fingerprints_inputs(manifest_path, entities, raw_tables):
    manifest = TrainingSetManifest.read(manifest_path)
    assert manifest.rows == len(entities) and manifest.feature_service == SERVICE
    assert "user_order_stats@v0:order_count_30d" in manifest.feature_refs
    assert {"user_profile", "user_order_stats"} <= set(manifest.sources)
    assert manifest.time_range[0] == str(entities["event_timestamp"].min())
    frame = pd.read_parquet(manifest_path.parent / f"{NAME}.parquet")
    users, transactions = raw_tables
    for row in frame.head(30).itertuples(index=False):
        expected = expected_user_features(users, transactions, row.user_id, row.event_timestamp)
        assert same_value(expected.get("spend_sum_90d"), row.spend_sum_90d)
        assert same_value(expected.get("days_since_last_order"), row.days_since_last_order)


def test_rebuild_after_new_data_arrived(own, manifest_path, raw_tables, horizon):
    _, transactions = raw_tables
    new_day = transactions.tail(40).copy()
    new_day["transaction_id"] += 10_000_000
    new_day["transaction_date"] = (
        new_day["transaction_date"] + pd.Timedelta(days=1)
    ).dt.tz_localize(None)
    _add_raw_transactions(own["data"], new_day)
    run_cli("delivery-fs", "build-features", env=own["env"])
    result = _rebuild(own, manifest_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "content hash matches" in result.stdout
    assert "user_order_stats" in result.stdout.split("sources changed since:")[1]


def _user_order_stats_v1(data) -> FeatureView:
    """A new meaning for spend_sum_30d (shipping included), one feature dropped, in its own table."""
    table = pd.read_parquet(data / "features" / "user_order_stats.parquet")
    table["spend_sum_30d"] = table["spend_sum_30d"] + table["shipping_costs_sum_30d"]
    path = data / "features" / "user_order_stats_v1.parquet"
    table.drop(columns=["coupon_rate_7d"]).to_parquet(path, index=False)
    schema = [f for f in user_order_stats.schema if f.name not in ("coupon_rate_7d", "user_id")]
    schema = [
        Field(name=f.name, dtype=Float64, description="Spend incl. shipping, 30 days.")
        if f.name == "spend_sum_30d"
        else f
        for f in schema
    ]
    return FeatureView(
        name="user_order_stats", entities=[user], ttl=user_order_stats.ttl, schema=schema,
        source=FileSource(name="user_order_stats_v1_source", path=str(path), timestamp_field="event_timestamp"),
        online=True, tags=user_order_stats.tags, description=user_order_stats.description,
    )  # fmt: skip


def test_schema_change_makes_a_version_and_a_pinned_service_keeps_old_values(
    own, raw_tables, horizon
):
    store = own["store"]
    store.apply([_user_order_stats_v1(own["data"])])
    assert [v["version"] for v in store.list_feature_view_versions("user_order_stats")] == [
        "v0",
        "v1",
    ]
    pinned_old = FeatureService(
        name="orders_v0_pinned",
        features=["user_order_stats@v0:spend_sum_30d", "user_order_stats@v0:coupon_rate_7d"],
    )
    on_new = FeatureService(name="orders_v1", features=["user_order_stats@v1:spend_sum_30d"])
    store.apply([pinned_old, on_new])

    users, transactions = raw_tables
    buyers = transactions["user_id"].drop_duplicates().head(60).tolist()
    at = horizon - pd.Timedelta(days=3)
    rows = pd.DataFrame({"user_id": buyers, "event_timestamp": at})
    old = training_frame(store, rows, "orders_v0_pinned")
    new = training_frame(store, rows, "orders_v1")
    start = (horizon - timedelta(days=365)).to_pydatetime()
    for version in ("v0", "v1"):
        store.materialize(
            start, at.to_pydatetime(), feature_views=["user_order_stats"], version=version
        )
    online_old = OnlineFeatureReader(store, "orders_v0_pinned").read(
        [{"user_id": u} for u in buyers], now=at.to_pydatetime()
    )
    online_new = OnlineFeatureReader(store, "orders_v1").read(
        [{"user_id": u} for u in buyers], now=at.to_pydatetime()
    )
    differing = 0
    for i, user_id in enumerate(buyers):
        expected = expected_user_features(users, transactions, user_id, at)
        assert same_value(expected["spend_sum_30d"], old["spend_sum_30d"][i])
        assert same_value(expected["coupon_rate_7d"], old["coupon_rate_7d"][i])
        with_shipping = expected["spend_sum_30d"] + expected["shipping_costs_sum_30d"]
        assert same_value(round(with_shipping, 2), round(new["spend_sum_30d"][i], 2))
        assert same_value(expected["spend_sum_30d"], online_old[i]["spend_sum_30d"].value)
        assert same_value(expected["coupon_rate_7d"], online_old[i]["coupon_rate_7d"].value)
        assert same_value(
            round(with_shipping, 2),
            round(online_new[i]["spend_sum_30d"].value or 0.0, 2)
            if online_new[i]["spend_sum_30d"].value is not None
            else None,
        )
        differing += expected["shipping_costs_sum_30d"] > 0
    assert differing > 5  # the two versions really differ for these users


def test_rebuild_after_the_view_changed(own, manifest_path):
    result = _rebuild(own, manifest_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        "content hash matches" in result.stdout
        and "pinned definitions changed: False" in result.stdout
    )


def test_rebuild_detects_a_rewritten_past(own, manifest_path, entities):
    path = own["data"] / "raw" / "transactions.parquet"
    raw = pd.read_parquet(path)
    other_rows = entities.assign(t=entities["event_timestamp"].dt.tz_localize(None)).merge(
        raw, on="user_id"
    )
    earlier = other_rows[other_rows["transaction_date"] < other_rows["t"]]
    assert len(earlier), "some sampled user must have an order before its row"
    raw.loc[raw["transaction_id"] == earlier["transaction_id"].iloc[0], "amount"] += 100.0
    raw.to_parquet(path, index=False)
    run_cli("delivery-fs", "build-features", env=own["env"])
    result = _rebuild(own, manifest_path)
    assert result.returncode == 1
    assert "content hash DIFFERS" in result.stdout
