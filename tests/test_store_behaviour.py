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

from feature_repo.operations.online_backfill import backfill_online
from feature_repo.repository.horizon import data_horizon
from feature_repo.repository.store import open_store
from feature_repo.serving.lookup.online_features import FeatureStatus, OnlineFeatureReader
from feature_repo.training.frames import training_frame
from tests.cli_runner import run_cli
from tests.conftest import TEST_BUCKET
from tests.stock_reads import lean_vs_stock
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
    assert views == {
        "user_profile",
        "user_order_stats",
        "transaction_features",
        "user_order_ledger",
    }
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


LOOKUP_USERS = 1_000
UNKNOWN_USERS = [1, 2, 3]


def _lookup_rows(service: str, ids: list[int], at: pd.Timestamp) -> list[dict]:
    key = "transaction_id" if service == "transaction_analytics_v1" else "user_id"
    extra = {"cart_amount": 31.5} if service == "checkout_model_v1" else {}
    return [{key: i, "request_time": at.to_pydatetime(), **extra} for i in ids]


def _assert_order_stats_equal_offline(store, reader, users, at) -> None:
    from tests.independent import same_value

    offline = training_frame(store, _everyone_at(pd.Series(users), at), "churn_model_v1")
    online = reader.read([{"user_id": u} for u in users], now=at.to_pydatetime())
    names = [f.name for f in store.get_feature_view("user_order_stats").features]
    mismatches = [
        (row.user_id, name, getattr(row, name), values[name])
        for row, values in zip(offline.itertuples(index=False), online, strict=True)
        for name in names
        if not same_value(getattr(row, name), values[name].value)
    ]
    assert not mismatches, f"{len(mismatches)} at {at}, e.g. {mismatches[:3]}"
    assert not offline["order_count_90d"].gt(0).any()  # every window expired by then


def test_lean_reader_equals_stock_feast_for_every_service(run, raw_tables, horizon):
    """1,000 users (and 1,000 orders) through every feature service, lean reader against stock
    ``get_online_features`` with the TTL rule applied to stock's answer: at the load's horizon
    (nothing past TTL but older orders) and 200 days later (order statistics past TTL for users without orders)."""
    users, transactions = raw_tables
    loaded = data_horizon(run.data_dir / "features")  # the last load (after the new day)
    ids = users["user_id"].iloc[:LOOKUP_USERS].tolist() + UNKNOWN_USERS
    orders = transactions.sort_values("transaction_date")["transaction_id"]
    order_ids = orders.iloc[:500].tolist() + orders.iloc[-500:].tolist() + UNKNOWN_USERS
    checked = {}
    for service in ("churn_model_v1", "checkout_model_v1", "transaction_analytics_v1"):
        reader = OnlineFeatureReader(run.store, service)
        for at in (loaded, loaded + pd.Timedelta(days=200)):
            keys = order_ids if service == "transaction_analytics_v1" else ids
            rows = _lookup_rows(service, keys, at)
            # Stock computes on-demand features from unmasked inputs: compared where none is past TTL.
            # Stock serves user_order_stats as of its last stored change; the lean reader computes
            # it from the order ledger at the lookup instant, so windows expire: after the load, it
            # is compared with the offline join instead (below).
            differences = lean_vs_stock(
                run.store, reader, rows, at.to_pydatetime(), on_demand=at == loaded,
                skip_views=() if at == loaded else ("user_order_stats",),
            )  # fmt: skip
            assert not differences, f"{service} at {at}: {len(differences)}, e.g. {differences[:3]}"
            if service == "churn_model_v1" and at != loaded:
                _assert_order_stats_equal_offline(run.store, reader, ids[: -len(UNKNOWN_USERS)], at)
            statuses = {
                v.status for row in reader.read(rows, now=at.to_pydatetime()) for v in row.values()
            }
            checked[(service, at == loaded)] = statuses
    # The comparison covered present, missing, unknown and (later) past-TTL values.
    assert {FeatureStatus.PRESENT, FeatureStatus.NULL_VALUE, FeatureStatus.NOT_FOUND} <= checked[
        ("churn_model_v1", True)
    ]
    assert FeatureStatus.OUTSIDE_MAX_AGE in checked[("churn_model_v1", False)]
    assert {FeatureStatus.PRESENT, FeatureStatus.NOT_FOUND} <= checked[
        ("transaction_analytics_v1", True)
    ]


STOCK_TYPES = {
    "sqlite": "sqlite",
    "redis": "redis",
    "redis_cluster": "redis",
    "dynamodb": "dynamodb",
}


def test_bulk_loaded_store_reads_as_a_stock_loaded_one(run, raw_tables, horizon, tmp_path):
    """The profile's bulk-writing class against Feast's own class, same load, read by stock Feast."""
    import yaml

    assert run.store.config.online_store.type.startswith("feature_repo.online.")
    stock_config = yaml.safe_load(run.config.read_text())
    stock_config["online_store"]["type"] = STOCK_TYPES[run.profile]
    stock_config.pop("batch_engine", None)  # Feast's local engine
    stock_config["project"] = f"{stock_config['project']}_stock"
    if run.profile == "sqlite":
        stock_config["online_store"]["path"] = str(tmp_path / "stock_online.db")
    registry = stock_config["registry"]["path"]  # its own: teardown deletes the registry too
    stock_config["registry"]["path"] = (
        registry.replace("registry.pb", "stock_registry.pb")
        if registry.startswith("s3://")
        else str(tmp_path / "stock_registry.db")
    )
    path = tmp_path / "feature_store.stock.yaml"
    path.write_text(yaml.safe_dump(stock_config))
    run_cli("feast", "-f", str(path), "apply", env=run.env)
    stock_store = open_store(config_path=path)
    try:
        end = data_horizon(run.data_dir / "features").to_pydatetime()
        for store in (run.store, stock_store):
            for view in store.list_feature_views():
                store.materialize(end - view.ttl, end, feature_views=[view.name])
        users, transactions = raw_tables
        for features, rows in (
            (SERVICE, [{"user_id": u, "request_time": end} for u in users["user_id"]]),
            (
                "transaction_analytics_v1",
                [{"transaction_id": t} for t in transactions["transaction_id"].iloc[-2000:]],
            ),
        ):
            ours, theirs = (
                s.get_online_features(
                    features=s.get_feature_service(features), entity_rows=rows
                ).to_dict(include_event_timestamps=True)
                for s in (run.store, stock_store)
            )
            assert ours == theirs, features
            assert any(
                v is not None
                for v in next(
                    iter(
                        v
                        for k, v in ours.items()
                        if k not in ("user_id", "transaction_id", "request_time")
                    )
                )
            )
    finally:
        stock_store.teardown()


def test_teardown_leaves_nothing_behind(run):
    assert run.leftovers(), "the store holds nothing before teardown: this test could not fail"
    run.store.teardown()
    assert run.leftovers() == []
