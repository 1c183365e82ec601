"""The model loop end to end, on the embedded default (files + SQLite) and on a real Redis: a churn
model trained with `delivery-fs train`, a day of orders pushed after the load, then 500 (user,
instant) pairs scored twice, from online features (the lean reader, as `/score/churn` reads them) and
from `get_historical_features` at the same instants after the batch is rebuilt from raw + pushed
orders. Features and scores must be equal (scores to 1e-9).

The instants include the edges where values change: an order leaving its 7- and 30-day windows
(exactly at the exit and a second before) and birthdays (midnight UTC, and a second before). The
online store is kept on the documented schedule: `user_profile` loaded after each 00:00 UTC.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from feature_repo.push.replay import HELD_OUT_NAME, held_out_orders
from feature_repo.repository.store import open_store
from feature_repo.serving.lookup.churn import ChurnScorer
from feature_repo.training.frames import training_frame
from tests.cli_runner import run_cli
from tests.conftest import SESSION_DIR
from tests.independent import same_value
from tests.stores import copy_data, held_out_data, profile_config

pytestmark = pytest.mark.integration
T0 = pd.Timestamp("2020-10-01", tz="UTC")  # batch up to here; the next day's orders are pushed
T1 = T0 + pd.Timedelta(days=1)
LAST = T1 + pd.Timedelta(days=40)  # the last lookup instant
PAIRS, SEED, SCALE = 500, 5, "0.05"
SECOND = pd.Timedelta(seconds=1)


@pytest.fixture(scope="module")
def fresh_data():
    """Raw data whose orders after T0 are held out, and the batch built up to T0."""
    return held_out_data(SESSION_DIR / "parity" / "data", SEED, SCALE, T0)


@pytest.fixture(scope="module", params=["sqlite", "redis"])
def looped(request, fresh_data, monkeypatch_module):
    """Applied and loaded as of T0, a model trained, a day of orders pushed, the batch rebuilt."""
    directory = SESSION_DIR / f"parity_{request.param}"
    data = copy_data(fresh_data, directory / "data")
    variables = {}
    if request.param == "redis":
        variables["DELIVERY_FS_REDIS"] = request.getfixturevalue("redis_server").endpoint
    config = profile_config(request.param, directory, variables, project=f"parity_{request.param}")
    env = {"DELIVERY_FS_DATA_DIR": str(data), "FEAST_FS_YAML_FILE_PATH": str(config)}
    run_cli("feast", "-f", str(config), "apply", env=env)
    run_cli("delivery-fs", "backfill-online", env=env)
    run_cli("delivery-fs", "train", env=env)
    run_cli("delivery-fs", "replay", "--from", T0.isoformat(), "--until", T1.isoformat(), env=env)
    run_cli("delivery-fs", "build-features", env=env)  # offline: raw + pushed orders
    for name, value in env.items():  # the model registry and the tables of this data, in process
        monkeypatch_module.setenv(name, value)
    from feature_repo.model.registry import load_model

    store = open_store(config_path=config)
    return store, ChurnScorer(store, load_model()), data


def _pairs(data, store) -> pd.DataFrame:
    """500 (user, instant) pairs in [T1, LAST]: window exits and birthdays first, then random ones."""
    from feature_repo.pipeline.raw_data import read_transactions, read_users

    users = read_users(data / "raw" / "users.parquet")
    orders = read_transactions(data / "raw" / "transactions.parquet", users)
    pushed = held_out_orders(data / "raw" / HELD_OUT_NAME, T0.to_pydatetime(), T1.to_pydatetime())
    orders = pd.concat([orders, pushed[pushed["user_id"].isin(users["user_id"])]])
    rng = np.random.default_rng(SEED)
    edges = []
    for user, last in orders.groupby("user_id")["transaction_date"].max().items():
        for window in (pd.Timedelta(days=7), pd.Timedelta(days=30)):
            exit_at = pd.Timestamp(last) + window  # the order is in (t - window, t]: out at exit
            edges += [(user, exit_at), (user, exit_at - SECOND)]
    for user, birth in zip(users["user_id"], users["birth_date"], strict=True):
        for year in (T1.year, T1.year + 1):
            if birth.month == 2 and birth.day == 29:
                continue
            birthday = pd.Timestamp(year=year, month=birth.month, day=birth.day, tz="UTC")
            edges += [(user, birthday), (user, birthday - SECOND)]
    edges = [(u, t) for u, t in edges if T1 <= t <= LAST]
    picked = [edges[i] for i in rng.choice(len(edges), size=min(len(edges), 300), replace=False)]
    span = (LAST - T1).total_seconds()
    for user in rng.choice(users["user_id"].to_numpy(), size=PAIRS - len(picked)):
        picked.append((int(user), T1 + pd.Timedelta(seconds=int(rng.random() * span))))
    pairs = pd.DataFrame(picked, columns=["user_id", "event_timestamp"])
    pairs["user_id"] = pairs["user_id"].astype("int64")
    pairs["event_timestamp"] = pd.to_datetime(pairs["event_timestamp"], utc=True)
    pairs["request_time"] = pairs["event_timestamp"]
    return pairs.sort_values("event_timestamp", ignore_index=True)


def test_online_scores_equal_offline_scores_at_500_instants(looped):
    store, scorer, data = looped
    pairs = _pairs(data, store)
    assert len(pairs) == PAIRS and pairs["event_timestamp"].between(T1, LAST).all()
    offline = training_frame(store, pairs, scorer.model.record.feature_service)
    names = scorer.model.record.feature_names
    offline_scores = scorer.model.predict_proba_rows(
        [{n: _plain(row[n]) for n in names} for row in offline.to_dict("records")]
    )
    online_scores, online_rows = [], []
    for day, group in pairs.groupby(pairs["event_timestamp"].dt.floor("D"), sort=True):
        # the schedule: user_profile loaded right after 00:00 UTC of each day served
        store.materialize_incremental(end_date=day.to_pydatetime(), feature_views=["user_profile"])
        for user, at in zip(group["user_id"], group["event_timestamp"], strict=True):
            score = scorer.score([int(user)], now=at.to_pydatetime())[0]
            online_scores.append(score.probability)
            online_rows.append(score.features)
    mismatches = [
        (int(pairs["user_id"][i]), pairs["event_timestamp"][i], name)
        for i, (row, online) in enumerate(zip(offline.to_dict("records"), online_rows, strict=True))
        for name in names
        if not same_value(_plain(row[name]), online[name])
    ]
    assert not mismatches, mismatches[:10]
    np.testing.assert_allclose(online_scores, offline_scores, rtol=0, atol=1e-9)
    assert len(set(np.round(online_scores, 6))) > 50  # real, varied scores


def _plain(value):
    """A frame's missing value (NaN, NaT, pd.NA) as None, as the reader serves it."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value.item() if isinstance(value, np.generic) else value
