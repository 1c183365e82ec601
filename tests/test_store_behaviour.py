"""One behaviour suite, the same assertions against every online store: SQLite, Redis, Redis Cluster
and DynamoDB (with S3 for the feature tables and the registry, the aws profile).

For each profile: apply, materialize as the demo does, online values equal the latest offline values
for every user, a missing user, a new day appended, rebuilt and loaded incrementally, and teardown
leaving nothing behind. Servers are real (redis-server, moto_server) on loopback ports.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from feature_repo.store_operations import backfill_online, data_horizon, open_store
from tests.cli_runner import run_cli
from tests.conftest import TEST_BUCKET
from tests.stores import (
    SERVICE,
    append_orders_of_a_new_day,
    copy_data,
    online_offline_mismatches,
    profile_config,
)

PROFILES = ["sqlite", "redis", "redis_cluster", "dynamodb"]
NEW_DAY_USERS = 40


@dataclass
class ProfileRun:
    profile: str
    config: Path
    data_dir: Path
    env: dict[str, str]
    leftovers: Callable[[], list]
    store: object = None


def _sqlite(request, directory: Path) -> tuple[dict, dict, Callable[[], list]]:
    online = directory / "online_store.db"
    return {}, {}, lambda: [online] if online.exists() else []


def _redis(request, directory: Path):
    server = request.getfixturevalue("redis_server")
    server.client().flushall()
    return {"DELIVERY_FS_REDIS": server.endpoint}, {}, lambda: server.client().keys("*")


def _redis_cluster(request, directory: Path):
    cluster = request.getfixturevalue("redis_cluster")
    return (
        {"DELIVERY_FS_REDIS": cluster.connection_string},
        {},
        lambda: [n.endpoint for n in cluster.nodes if n.client().dbsize()],
    )


def _dynamodb(request, directory: Path):
    """The aws profile: tables published to S3 by the pipeline, registry on S3, DynamoDB online."""
    import boto3

    request.getfixturevalue("moto")
    location = f"s3://{TEST_BUCKET}/behaviour"
    env = {"DELIVERY_FS_DATA_DIR": location, "DELIVERY_FS_WORK_DIR": str(directory / "data")}
    run_cli("delivery-fs", "build-features", env=env)  # publishes the feature tables to S3

    def tables() -> list[str]:
        names = boto3.client("dynamodb").list_tables()["TableNames"]
        return [name for name in names if name.startswith("behaviour_dynamodb.")]

    return {"DELIVERY_FS_DATA_DIR": location, "AWS_DEFAULT_REGION": "us-east-1"}, env, tables


SET_UPS = {
    "sqlite": _sqlite,
    "redis": _redis,
    "redis_cluster": _redis_cluster,
    "dynamodb": _dynamodb,
}


@pytest.fixture(scope="module", params=PROFILES)
def run(request, built_data, tmp_path_factory) -> ProfileRun:
    """The profile's store, applied with `feast -f` on a private copy of the session's data."""
    profile = request.param
    directory = tmp_path_factory.mktemp(profile)
    data_dir = copy_data(built_data, directory / "data")
    variables, env, leftovers = SET_UPS[profile](request, directory)
    env = {"DELIVERY_FS_DATA_DIR": str(data_dir), **env}  # the S3 profile sets its own
    config = profile_config(profile, directory, variables, project=f"behaviour_{profile}")
    run_cli("feast", "-f", str(config), "apply", env=env)
    return ProfileRun(profile, config, data_dir, env, leftovers, open_store(config_path=config))


def _everyone_at(users: pd.Series, at: pd.Timestamp) -> pd.DataFrame:
    return pd.DataFrame({"user_id": users, "event_timestamp": at, "request_time": at})


def test_apply_registers_every_view(run):
    views = {view.name for view in run.store.list_feature_views()}
    assert views == {"user_profile", "user_order_stats", "transaction_features"}
    assert {s.name for s in run.store.list_feature_services()} >= {SERVICE}


def test_materialized_values_equal_latest_offline_values(run, raw_tables, horizon):
    backfill_online(run.store, horizon.to_pydatetime())
    run.store.materialize_incremental(end_date=horizon.to_pydatetime())
    ends = {v.name: v.most_recent_end_time for v in run.store.list_feature_views()}
    assert set(ends.values()) == {horizon.to_pydatetime()}, ends

    users, _ = raw_tables
    assert len(users) >= 1_000
    offline, mismatches = online_offline_mismatches(
        run.store, _everyone_at(users["user_id"], horizon)
    )
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:5]}"
    assert offline["order_count_90d"].gt(0).sum() > 200  # the comparison is not all-empty


def test_missing_user_gets_missing_values(run, horizon):
    response = run.store.get_online_features(
        features=run.store.get_feature_service(SERVICE),
        entity_rows=[{"user_id": 1, "request_time": horizon.to_pydatetime()}],
    ).to_dict()
    assert response["user_id"] == [1]
    served = {k: v for k, v in response.items() if k not in ("user_id", "request_time")}
    assert len(served) == 34 and all(values == [None] for values in served.values()), served


def test_incremental_materialization_of_a_new_day(run, raw_tables, horizon):
    users, transactions = raw_tables
    buyers = users["user_id"].iloc[:NEW_DAY_USERS].tolist()
    new = append_orders_of_a_new_day(run.data_dir / "raw", horizon, buyers)
    run_cli("delivery-fs", "build-features", env=run.env)
    new_horizon = data_horizon(run.data_dir / "features")
    assert new_horizon == horizon + pd.Timedelta(days=1)

    run.store.materialize_incremental(end_date=new_horizon.to_pydatetime())

    everyone = _everyone_at(users["user_id"], new_horizon)
    offline, mismatches = online_offline_mismatches(run.store, everyone)
    assert not mismatches, f"{len(mismatches)} mismatches, first: {mismatches[:5]}"
    # Counted by hand: each buyer has one order more than in the raw table, placed at 12:00 + i minutes.
    online = run.store.get_online_features(
        features=["user_order_stats:lifetime_order_count", "user_order_stats:last_order_at"],
        entity_rows=[{"user_id": u} for u in buyers],
    ).to_dict()
    before = transactions.groupby("user_id").size().reindex(buyers, fill_value=0)
    assert online["lifetime_order_count"] == (before + 1).tolist()
    assert [pd.Timestamp(t) for t in online["last_order_at"]] == [
        horizon + pd.Timedelta(hours=12, minutes=i) for i in range(len(buyers))
    ]
    orders = run.store.get_online_features(
        features=["transaction_features:amount"],
        entity_rows=[{"transaction_id": int(t)} for t in new["transaction_id"]],
    ).to_dict()
    assert orders["amount"] == new["amount"].tolist()


def test_teardown_leaves_nothing_behind(run):
    assert run.leftovers(), "the store holds nothing before teardown: this test could not fail"
    run.store.teardown()
    assert run.leftovers() == []
