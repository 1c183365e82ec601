"""Drift injected through the product's real paths, and exactly the affected features flagged.

One batch built up to T0 (x0.05 data), then four stores (SQLite, a project each, a private copy of
the data each), each loaded with the real commands and fed the held-out orders of the next 90 days
by `delivery-fs replay`:

- baseline: the orders unchanged;
- x1.5: the same orders with ``amount`` (and nothing else) multiplied by 1.5;
- coupons: the same orders with ``discount_coupon`` set to 1 on every one;
- nulled: the orders unchanged, but the ``user_profile`` batch of a broken upstream, whose
  ``operating_system`` is null for every user. `build-features` refuses the raw file with the column
  emptied and `backfill-online` refuses the table (both exit 2); stock `feast materialize`, which
  has no quality gate, loads it.

Every user is then read with the lean reader right after the pushed days (the 7-, 30- and 90-day
windows hold pushed orders only) and logged through ``ServedFeatureLog`` into the service's
registered log destination; each window is read back and compared with the baseline's by the
functions ``delivery-fs monitor`` runs (``logged_window``, ``drift_of``, default thresholds).

The expectation is computed apart: a naive computation (``tests/independent.py``) of every user's
features from the raw and the replayed orders, per scenario. A feature is expected to drift when
its values differ from the baseline's for more than 5% of the users; every other feature must be
the same for every user, so that "exactly the affected features" has one meaning.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from feast.types import UnixTimestamp

from feature_repo.monitoring.drift import Thresholds, drift_of
from feature_repo.monitoring.window import logged_window
from feature_repo.push.replay import HELD_OUT_NAME, held_out_orders
from feature_repo.repository.store import open_store
from feature_repo.serving.lookup.online_features import OnlineFeatureReader
from feature_repo.serving.lookup.served_log import ServedFeatureLog
from tests.cli_runner import run_cli
from tests.conftest import SESSION_DIR
from tests.independent import expected_user_features, same_value
from tests.stores import SERVICE, copy_data, held_out_data, profile_config

pytestmark = pytest.mark.integration
T0 = pd.Timestamp("2020-08-01", tz="UTC")  # the batch ends here; the orders after it are replayed
DAYS = 90  # the longest window: at T1 every window holds pushed orders only
T1 = T0 + pd.Timedelta(days=DAYS)  # the orders up to here are pushed, and every user read here
SEED, SCALE = 5, "0.05"
DIFF_SHARE = 0.05  # a feature whose values moved for more than this share of users must drift
LIMITS = Thresholds()  # the defaults of `delivery-fs monitor`
WINDOWS = ("7d", "30d", "90d")
SPEND = {f"spend_{kind}_{w}" for kind in ("sum", "mean") for w in WINDOWS}
COUPONS = {f"coupon_{kind}_{w}" for kind in ("count", "rate") for w in WINDOWS}
COUNTS = {f"order_count_{w}" for w in WINDOWS} | {"lifetime_order_count"}


@dataclass(frozen=True)
class Scenario:
    logged: pd.DataFrame  # the window read back from the logs: one column per feature
    served: list[dict]  # what the lean reader served, per user
    expected: dict[int, dict]  # the naive computation, per user
    data: Path  # the scenario's data directory
    log_folder: Path  # the service's registered log destination


def _increased_amounts(orders: pd.DataFrame) -> pd.DataFrame:
    """Amounts x1.5, in cents as a till would charge them; every other column as it was."""
    return orders.assign(amount=(orders["amount"] * 1.5).round(2))


def _all_with_coupons(orders: pd.DataFrame) -> pd.DataFrame:
    return orders.assign(discount_coupon=1)


@pytest.fixture(scope="module")
def batch():
    """Raw data whose orders after T0 are held out, and the batch built up to T0."""
    data = held_out_data(SESSION_DIR / "drift" / "data", SEED, SCALE, T0)
    from feature_repo.repository.horizon import data_horizon

    assert data_horizon(data / "features") == T0
    return data


@pytest.fixture(scope="module")
def independent(batch):
    """The raw users and orders of the batch, as the pipeline reads them."""
    from feature_repo.pipeline.raw_data import read_transactions, read_users

    users = read_users(batch / "raw" / "users.parquet")
    return users, read_transactions(batch / "raw" / "transactions.parquet", users)


@pytest.fixture(scope="module")
def logging_since():
    return pd.Timestamp.now(tz="UTC") - pd.Timedelta(minutes=1)


def _scenario(name, batch, independent, since, change=None, broken_profile=False) -> Scenario:
    """A store of its own, loaded and fed the (changed) held-out orders, read and logged at T1."""
    directory = SESSION_DIR / "drift" / name
    data = copy_data(batch, directory / "data")
    config = profile_config("sqlite", directory, {}, project=f"drift_{name}")
    orders = pd.read_parquet(data / "raw" / HELD_OUT_NAME)
    orders_file = directory / "replayed_orders.parquet"
    (change(orders) if change else orders).to_parquet(orders_file, index=False)
    pushed = held_out_orders(orders_file, T0.to_pydatetime(), T1.to_pydatetime())
    replayed = _load_and_replay(data, config, orders_file, broken_profile)
    known = pushed["user_id"].isin(independent[0]["user_id"])  # users registered later are not
    assert f"{known.sum()} applied, {(~known).sum()} rejected" in replayed, replayed
    logged, served, folder = _read_and_log(open_store(config_path=config), independent[0], since)
    if broken_profile:
        independent = _without_operating_systems(independent)
    return Scenario(logged, served, _expected(independent, pushed[known]), data, folder)


def _load_and_replay(data: Path, config: Path, orders_file: Path, broken_profile: bool) -> str:
    """Applied, loaded as of T0 (a broken profile batch: see below), the orders of the next DAYS
    days replayed: what the replay printed."""
    env = {"DELIVERY_FS_DATA_DIR": str(data), "FEAST_FS_YAML_FILE_PATH": str(config)}
    run_cli("feast", "-f", str(config), "apply", env=env)
    if broken_profile:
        _load_a_profile_batch_without_operating_systems(data, config, env)
    else:
        run_cli("delivery-fs", "backfill-online", env=env)
    replayed = run_cli("delivery-fs", "replay", "--from", T0.isoformat(), "--until",
                       T1.isoformat(), "--orders", str(orders_file), env=env)  # fmt: skip
    return replayed.stdout


def _read_and_log(store, users: pd.DataFrame, since: datetime):
    """Every user read by the lean reader at T1, logged through ``ServedFeatureLog`` into the
    service's registered destination, and the window read back as ``delivery-fs monitor`` does."""
    reader = OnlineFeatureReader(store, SERVICE)
    entity_rows = [{"user_id": int(u)} for u in users["user_id"]]
    served = reader.read(entity_rows, now=T1.to_pydatetime())
    service = store.get_feature_service(SERVICE)
    log = ServedFeatureLog(store, service, reader.plan.output_views, reader.plan.output_names,
                           sample_rate=1.0)  # fmt: skip
    # no model is trained here: the predictions are logged as missing (drift reads only features)
    assert log.record(entity_rows, served, [math.nan] * len(served), "no model")
    assert log.flush() == len(served)
    folder = Path(service.logging_config.destination.path)
    views = {f.name: p.name_to_use() for p in service.feature_view_projections for f in p.features}
    window = logged_window(
        folder, {f: views[f] for f in _model_features(service)}, since,
        datetime.now(UTC) + pd.Timedelta(minutes=1),
    )  # fmt: skip
    assert window is not None and window.rows == len(served)
    values = [{name: value.value for name, value in row.items()} for row in served]
    return window.frame, values, folder


def _load_a_profile_batch_without_operating_systems(data, config, env) -> None:
    """The broken upstream: raw users with ``system_operation`` emptied, then its feature table."""
    users_file = data / "raw" / "users.parquet"
    kept = users_file.with_suffix(".kept")
    shutil.copy(users_file, kept)
    pd.read_parquet(users_file).assign(system_operation=None).to_parquet(users_file, index=False)
    refused = run_cli("delivery-fs", "build-features", check=False, env=env)
    assert refused.returncode == 2 and "system_operation" in refused.stderr, refused
    shutil.move(kept, users_file)  # the raw file as it was; the tables were left untouched
    profile = data / "features" / "user_profile.parquet"
    pd.read_parquet(profile).assign(operating_system=None).to_parquet(profile, index=False)
    refused = run_cli("delivery-fs", "backfill-online", check=False, env=env)
    assert refused.returncode == 2 and "operating_system" in refused.stderr, refused
    start, end = "1970-01-01T00:00:00", T0.tz_localize(None).isoformat()
    run_cli("feast", "-f", str(config), "materialize", start, end, env=env)  # no quality gate


def _without_operating_systems(independent):
    users, orders = independent
    return users.assign(system_operation=None), orders


def _model_features(service) -> list[str]:
    """The service's features without timestamps, as the churn model reads them."""
    return [f.name for p in service.feature_view_projections for f in p.features
            if f.dtype != UnixTimestamp]  # fmt: skip


def _expected(independent, pushed: pd.DataFrame) -> dict[int, dict]:
    """Every user's features at T1 from the raw orders and those pushed (of known users)."""
    users, orders = independent
    pushed = pushed.assign(
        transaction_date=pushed["transaction_date"].astype(orders["transaction_date"].dtype)
    )
    every = pd.concat([orders, pushed[orders.columns]], ignore_index=True)
    return {int(u): expected_user_features(users, every, int(u), T1) for u in users["user_id"]}


@pytest.fixture(scope="module")
def scenarios(batch, independent, logging_since):
    since = logging_since.to_pydatetime()
    return {
        "baseline": _scenario("baseline", batch, independent, since),
        "x1.5": _scenario("amounts", batch, independent, since, _increased_amounts),
        "coupons": _scenario("coupons", batch, independent, since, _all_with_coupons),
        "nulled": _scenario("nulled", batch, independent, since, broken_profile=True),
    }


@pytest.fixture(scope="module")
def features(scenarios):
    names = list(scenarios["baseline"].logged.columns)
    assert "operating_system" in names and set(names) >= SPEND | COUPONS | COUNTS
    return names


def _compared(features) -> list[str]:
    """What the naive computation knows as the reader serves it: not ``age_years`` (the online
    profile row is the batch's, of T0; the naive age is of T1)."""
    return [f for f in features if f != "age_years"]


def _moved(scenario: Scenario, baseline: Scenario, feature: str) -> float:
    """The share of users whose feature value differs from the baseline's (naive computation)."""
    moved = [
        not same_value(baseline.expected[u][feature], scenario.expected[u][feature])
        for u in baseline.expected
    ]
    return float(np.mean(moved))


def _flagged(scenario: Scenario, baseline: Scenario, features) -> set[str]:
    drifts = drift_of(baseline.logged, scenario.logged, features, LIMITS)
    return {d.feature for d in drifts if d.drifted}


def _expected_drift(scenario: Scenario, baseline: Scenario, features) -> set[str]:
    shares = {f: _moved(scenario, baseline, f) for f in _compared(features)}
    unclear = {f: s for f, s in shares.items() if 0 < s <= DIFF_SHARE}
    assert not unclear, f"features moved for too few users to call: {unclear}"
    return {f for f, share in shares.items() if share > DIFF_SHARE}


@pytest.mark.parametrize("name", ["baseline", "x1.5", "coupons", "nulled"])
def test_the_lean_reader_served_what_the_replayed_orders_give(scenarios, features, name):
    """The drift reached serving through the real paths: served = the naive computation."""
    scenario = scenarios[name]
    assert scenario.log_folder == scenario.data / "feature_logs" / SERVICE  # where monitor reads
    users = list(scenario.expected)
    mismatches = [
        (user, feature, scenario.expected[user][feature], served[feature])
        for user, served in zip(users, scenario.served, strict=True)
        for feature in _compared(features)
        if not same_value(scenario.expected[user][feature], served[feature])
    ]
    assert not mismatches, mismatches[:10]


@pytest.mark.parametrize("name", ["baseline", "x1.5", "coupons", "nulled"])
def test_the_log_holds_what_was_served(scenarios, features, name):
    scenario = scenarios[name]
    for feature in features:
        logged = scenario.logged[feature]
        served = pd.Series([row[feature] for row in scenario.served], dtype=logged.dtype)
        assert logged.isna().sum() == served.isna().sum(), feature
        a, b = logged.dropna().sort_values(), served.dropna().sort_values()
        if pd.api.types.is_numeric_dtype(a):
            np.testing.assert_allclose(a.to_numpy(float), b.to_numpy(float), rtol=1e-12)
        else:
            assert a.tolist() == b.tolist(), feature


def test_the_baseline_against_itself_flags_nothing(scenarios, features):
    baseline = scenarios["baseline"]
    assert _flagged(baseline, baseline, features) == set()


def test_amounts_x15_flag_exactly_the_spend_features_that_moved(scenarios, features):
    baseline, richer = scenarios["baseline"], scenarios["x1.5"]
    expected = _expected_drift(richer, baseline, features)
    assert expected and expected <= SPEND  # the naive computation: only spend moves
    flagged = _flagged(richer, baseline, features)
    assert flagged == expected
    assert not flagged & COUNTS


def test_coupons_on_every_order_flag_exactly_the_coupon_features_that_moved(scenarios, features):
    baseline, shifted = scenarios["baseline"], scenarios["coupons"]
    expected = _expected_drift(shifted, baseline, features)
    assert expected and expected <= COUPONS
    assert _flagged(shifted, baseline, features) == expected


def test_a_profile_batch_without_operating_systems_flags_exactly_it(scenarios, features):
    baseline, nulled = scenarios["baseline"], scenarios["nulled"]
    assert _expected_drift(nulled, baseline, features) == {"operating_system"}
    assert nulled.logged["operating_system"].isna().all()
    assert _flagged(nulled, baseline, features) == {"operating_system"}
