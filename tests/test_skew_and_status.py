"""The skew check finds an injected stale online row; status reports versions, rows, freshness and lag."""

import json

import pandas as pd
import pytest

from feature_repo.core.paths import features_dir
from feature_repo.operations.consistency import skew_check
from feature_repo.operations.online_backfill import backfill_online
from feature_repo.repository.store import open_store
from tests.cli_runner import run_cli
from tests.conftest import SESSION_DIR, applied_store_config

SERVICE = "churn_model_v1"


@pytest.fixture(scope="module")
def loaded(built_data, horizon):
    config = applied_store_config(SESSION_DIR / "skew_store")
    store = open_store(config_path=config)
    backfill_online(store, horizon.to_pydatetime())
    return store, {"FEAST_FS_YAML_FILE_PATH": str(config)}


def test_no_skew_after_a_clean_load(loaded, raw_tables):
    result = run_cli(
        "delivery-fs", "skew-check", "--service", SERVICE, "--sample", "300", env=loaded[1]
    )
    assert result.returncode == 0 and "0.0%" in result.stdout


def test_an_injected_stale_row_is_found(loaded, raw_tables, horizon):
    store, env = loaded
    stats = pd.read_parquet(features_dir() / "user_order_stats.parquet")
    latest = stats[stats["event_timestamp"] <= horizon].groupby("user_id").tail(1)
    victim = int(latest.loc[latest["order_count_90d"] > 2, "user_id"].iloc[0])
    # online, user_order_stats is computed from the user's order ledger: a stale ledger (as of
    # registration, before any order) makes every count 0
    ledgers = pd.read_parquet(features_dir() / "user_order_ledger.parquet")
    stale = ledgers[ledgers["user_id"] == victim].copy()
    for column in ("transaction_ids", "order_instants_us", "amounts_cents", "shipping_costs_cents",
                   "coupon_flags", "coupon_amounts", "delivery_types"):  # fmt: skip
        stale[column] = [[]]
    stale["lifetime_order_count"], stale["last_order_at_us"] = 0, None
    store.write_to_online_store("user_order_ledger", stale)

    others = latest.loc[latest["user_id"] != victim, "user_id"].head(40).tolist()
    report = {
        s.feature: s for s in skew_check(store, SERVICE, [victim, *others], horizon.to_pydatetime())
    }
    assert report["order_count_90d"].mismatches == 1
    entity, offline, online = report["order_count_90d"].examples[0]
    expected = int(latest.loc[latest["user_id"] == victim, "order_count_90d"].iloc[0])
    assert (entity, offline, online) == (victim, expected, 0)
    assert report["lifetime_order_count"].mismatches == 1
    assert report["gender"].mismatches == 0 and report["age_years"].mismatches == 0

    every_user = run_cli(
        "delivery-fs",
        "skew-check",
        "--service",
        SERVICE,
        "--sample",
        "100000",
        check=False,
        env=env,
    )
    assert (
        every_user.returncode == 1
        and "order_count_90d" in every_user.stdout
        and str(victim) in every_user.stdout
    )


def test_status_reports_each_view(loaded, horizon):
    _, env = loaded
    result = run_cli(
        "delivery-fs", "status", "--as-of", "horizon", "--json", "--fail-if-stale", env=env
    )
    views = {v["view"]: v for v in json.loads(result.stdout)["views"]}
    assert set(views) == {
        "user_profile",
        "user_order_stats",
        "transaction_features",
        "user_order_ledger",
    }
    for name, view in views.items():
        table = pd.read_parquet(features_dir() / f"{name}.parquet", columns=["event_timestamp"])[
            "event_timestamp"
        ]
        assert view["rows"] == len(table)
        assert pd.Timestamp(view["newest_event"]) == table[table <= horizon].max()
        assert pd.Timestamp(view["last_materialized"]) == horizon
        assert view["version"] == "v0" and view["lag_hours"] == 0 and view["stale"] is False
    later = horizon + pd.Timedelta(days=3)
    stale = run_cli(
        "delivery-fs",
        "status",
        "--as-of",
        later.isoformat(),
        "--json",
        "--fail-if-stale",
        check=False,
        env=env,
    )
    assert stale.returncode == 1
    assert all(v["stale"] for v in json.loads(stale.stdout)["views"] if v["view"] != "user_profile")


def test_status_warns_when_a_birthday_is_not_online(loaded, raw_tables, horizon):
    """age_years is exact online only while user_profile is materialized daily after midnight UTC:
    once a birthday has passed since the last load, status names the feature and what to run."""
    _, env = loaded
    users = raw_tables[0]
    birth = users["birth_date"]
    # the first instant after the horizon at which some user's age increases, found by hand
    first = min(
        pd.Timestamp(year=year, month=b.month, day=b.day, tz="UTC")
        for b in birth
        if not (b.month == 2 and b.day == 29)
        for year in (horizon.year, horizon.year + 1)
        if pd.Timestamp(year=year, month=b.month, day=b.day, tz="UTC") > horizon
    )
    before = run_cli("delivery-fs", "status", "--as-of",
                     (first - pd.Timedelta(seconds=1)).isoformat(), "--json", env=env)  # fmt: skip
    profile = {v["view"]: v for v in json.loads(before.stdout)["views"]}["user_profile"]
    assert profile["warning"] is None and "warning" not in before.stderr
    after = run_cli("delivery-fs", "status", "--as-of", first.isoformat(), "--json", env=env)
    profile = {v["view"]: v for v in json.loads(after.stdout)["views"]}["user_profile"]
    assert profile["stale"] is True
    assert profile["warning"].startswith("age_years served wrong online")
    assert "materialize-incremental" in after.stderr and "age_years" in after.stderr


def test_status_says_where_each_part_is_kept(loaded, built_data):
    """DELIVERY_FS_DATA_DIR moves the data; the registry and online store follow the profile."""
    _, env = loaded
    result = run_cli("delivery-fs", "status", "--as-of", "horizon", "--json", env=env)
    locations = json.loads(result.stdout)["locations"]
    directory = SESSION_DIR / "skew_store"
    assert locations["data (DELIVERY_FS_DATA_DIR)"] == str(features_dir().parent)
    assert locations["registry (feature_store.yaml)"] == str(directory / "registry.db")
    online = [v for k, v in locations.items() if k.startswith("online store")]
    assert online == [str(directory / "online_store.db")]
    table = run_cli("delivery-fs", "status", "--as-of", "horizon", env=env)
    assert f"registry (feature_store.yaml): {directory / 'registry.db'}" in table.stdout
