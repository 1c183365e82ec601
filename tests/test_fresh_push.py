"""Fresh features end to end, on SQLite, a real Redis and a three-node Redis Cluster: orders pushed (replayed) after the batch
are visible online at once, windows expire online with no new order, bad, late and duplicate orders
are reported per order, and after the batch is rebuilt from raw + pushed orders the online values
equal ``get_historical_features`` at the same instant; Redis failing mid-push loses nothing and a
retry applies each order once."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from feature_repo.push import service as push_service
from feature_repo.push.replay import HELD_OUT_NAME, held_out_orders
from feature_repo.push.service import OrderPusher
from feature_repo.repository.store import open_store
from feature_repo.serving.lookup.online_features import FeatureStatus, OnlineFeatureReader
from feature_repo.training.frames import training_frame
from feature_repo.transforms.order_stats import column_order
from tests.cli_runner import run_cli
from tests.conftest import SESSION_DIR
from tests.independent import expected_user_features, same_value
from tests.stores import copy_data, held_out_data, profile_config

pytestmark = pytest.mark.integration
T0 = pd.Timestamp("2020-10-01", tz="UTC")  # batch up to here; the orders after are replayed
T1 = T0 + pd.Timedelta(days=1)  # one day replayed
STATS = [c for c in column_order() if c not in ("user_id", "event_timestamp")]
SEED, SCALE = 11, "0.05"


@pytest.fixture(scope="module")
def fresh_data():
    """Raw data whose orders after T0 are held out, and the batch built up to T0."""
    return held_out_data(SESSION_DIR / "fresh" / "data", SEED, SCALE, T0)


def _own_copy(fresh_data, directory) -> tuple:
    """A private copy of the fresh data (pushes append to it), and the environment naming it."""
    data = copy_data(fresh_data, directory / "data")
    return data, {"DELIVERY_FS_DATA_DIR": str(data)}


def _raw(data) -> tuple[pd.DataFrame, pd.DataFrame]:
    from feature_repo.pipeline.raw_data import read_transactions, read_users

    users = read_users(data / "raw" / "users.parquet")
    return users, read_transactions(data / "raw" / "transactions.parquet", users)


@pytest.fixture(scope="module", params=["sqlite", "redis", "redis_cluster"])
def loaded(request, fresh_data):
    """A store of the backend, applied on the fresh data and loaded as of T0."""
    directory = SESSION_DIR / f"fresh_{request.param}"
    data, env = _own_copy(fresh_data, directory)
    variables = {}
    if request.param == "redis":
        variables["DELIVERY_FS_REDIS"] = request.getfixturevalue("redis_server").endpoint
    if request.param == "redis_cluster":
        variables["DELIVERY_FS_REDIS"] = request.getfixturevalue("redis_cluster").connection_string
    config = profile_config(request.param, directory, variables, project=f"fresh_{request.param}")
    env = {**env, "FEAST_FS_YAML_FILE_PATH": str(config)}
    run_cli("feast", "-f", str(config), "apply", env=env)
    run_cli("delivery-fs", "backfill-online", env=env)
    return open_store(config_path=config), data, env


def _lean_stats(store, users, at) -> list[dict]:
    reader = OnlineFeatureReader(store, "churn_model_v1")
    return reader.read([{"user_id": int(u)} for u in users], now=at.to_pydatetime())


def test_replayed_orders_are_exact_online_then_equal_to_the_rebuilt_batch(loaded):
    store, data, env = loaded
    result = run_cli("delivery-fs", "replay", "--from", T0.isoformat(), "--until",
                     T1.isoformat(), env=env)  # fmt: skip
    replayed = held_out_orders(data / "raw" / HELD_OUT_NAME, T0.to_pydatetime(), T1.to_pydatetime())
    users, transactions = _raw(data)
    known = replayed[replayed["user_id"].isin(users["user_id"])]
    assert f"{len(known)} applied" in result.stdout and len(known) > 20
    touched = sorted(known["user_id"].unique())
    everything = pd.concat([transactions, known], ignore_index=True)

    # online at once, and the 7-day windows expired a week later with no new order
    for at in (T1, T1 + pd.Timedelta(days=7, seconds=1)):
        online = _lean_stats(store, touched, at)
        for user, values in zip(touched, online, strict=True):
            expected = expected_user_features(users, everything, user, at)
            for name in STATS:
                assert same_value(expected[name], values[name].value), (user, at, name)
    expired = _lean_stats(store, touched, T1 + pd.Timedelta(days=7, seconds=1))
    assert all(v["order_count_7d"].value == 0 for v in expired)

    # the batch rebuilt from raw + pushed orders gives the same values at the same instants
    run_cli("delivery-fs", "build-features", env=env)
    for at in (T1, T1 + pd.Timedelta(days=3, hours=5)):
        entities = pd.DataFrame({"user_id": touched, "event_timestamp": at, "request_time": at})
        offline = training_frame(store, entities, "churn_model_v1")
        online = _lean_stats(store, touched, at)
        mismatches = [
            (row.user_id, name)
            for row, values in zip(offline.itertuples(index=False), online, strict=True)
            for name in STATS
            if not same_value(getattr(row, name), values[name].value)
        ]
        assert not mismatches, mismatches[:5]


def test_bad_late_and_duplicate_orders_are_reported_per_order(loaded, tmp_path):
    store, data, env = loaded
    users, transactions = _raw(data)
    user = int(transactions.groupby("user_id").size().idxmax())
    last = transactions[transactions["user_id"] == user]["transaction_date"].max()
    base = {"user_id": user, "amount": 20.5, "shipping_costs": 1.99, "discount_coupon": 0,
            "discount_coupon_amount": 0, "payment_method": "Cash", "delivery_type": "Thai"}  # fmt: skip
    at = (T0 + pd.Timedelta(days=40)).strftime("%Y-%m-%d %H:%M:%S")
    orders = [
        {**base, "transaction_id": 990001, "transaction_date": at},
        {**base, "transaction_id": 990001, "transaction_date": at},  # the same order twice
        {**base, "transaction_id": 990002, "user_id": 1, "transaction_date": at},
        {**base, "transaction_id": 990003, "amount": "lots", "transaction_date": at},
        {**base, "transaction_id": 990004, "transaction_date": "2999-01-01 00:00:00"},
        {**base, "transaction_id": 990005, "transaction_date": (last - pd.Timedelta(hours=1)).isoformat()},
        {**base, "transaction_id": 990006, "transaction_date": at},
        {**base, "transaction_id": 990007, "transaction_date": "2019-01-01 00:00:00"},
    ]  # fmt: skip
    path = tmp_path / "orders.jsonl"
    path.write_text("\n".join(json.dumps(o) for o in orders))
    later = T0 + pd.Timedelta(days=41)
    before = _lean_stats(store, [user], later)[0]["lifetime_order_count"].value
    result = run_cli("delivery-fs", "push-orders", str(path), env=env)
    lines = result.stdout.splitlines()
    assert lines[0] == "line 1: transaction 990001: applied"
    assert lines[1].startswith("line 2: transaction 990001: duplicate")
    assert lines[2].startswith("line 3: transaction 990002: rejected (user_id: unknown user 1")
    assert lines[3].startswith(
        "line 4: transaction 990003: rejected (amount: 'lots' is not a number"
    )
    assert "line 5: transaction 990004: rejected (transaction_date" in lines[4]
    assert "minutes after now" in lines[4]
    assert lines[5].startswith("line 6: transaction 990005: late (late: placed before")
    assert "next batch build" in lines[5]
    assert lines[6] == "line 7: transaction 990006: applied"
    assert lines[7].startswith("line 8: transaction 990007: rejected (transaction_date: before the")
    again = run_cli("delivery-fs", "push-orders", str(path), env=env)
    assert again.stdout.count(": duplicate") == 3  # 990001 (twice) and 990006 count once

    # the user's lifetime count grew by exactly the two applied orders
    assert _lean_stats(store, [user], later)[0]["lifetime_order_count"].value == before + 2
    pushed = pd.concat(
        pd.read_parquet(p) for p in (data / "raw" / "pushed_transactions").glob("batch-*")
    )
    assert {990001, 990005, 990006} <= set(pushed["transaction_id"])  # late ones offline too
    assert not {990002, 990003, 990004, 990007} & set(pushed["transaction_id"])


def test_redis_failing_mid_push_then_a_retry_applies_each_order_once(
    fresh_data, tmp_path, monkeypatch
):
    from devtools.local_servers import RedisServer

    data, env = _own_copy(fresh_data, tmp_path)
    server = RedisServer(tmp_path / "redis").start()
    try:
        config = profile_config("redis", tmp_path, {"DELIVERY_FS_REDIS": server.endpoint}, "flaky")
        env = {**env, "FEAST_FS_YAML_FILE_PATH": str(config)}
        run_cli("feast", "-f", str(config), "apply", env=env)
        run_cli("delivery-fs", "backfill-online", env=env)
        store = open_store(config_path=config)
        users, transactions = _raw(data)
        orders = held_out_orders(
            data / "raw" / HELD_OUT_NAME, T0.to_pydatetime(), T1.to_pydatetime()
        )
        orders = orders[orders["user_id"].isin(users["user_id"])].head(40)
        records = orders.assign(transaction_date=orders["transaction_date"].map(str)).to_dict(
            "records"
        )
        monkeypatch.setattr(push_service, "PART_ORDERS", 10)
        pusher = OrderPusher(store, raw=data / "raw")
        original, parts = OrderPusher._push_part, []

        def part_then_crash(self, part):
            results = original(self, part)
            parts.append(len(part))
            if len(parts) == 2:  # the server dies after the second part, its data saved
                server.client().save()
                server.stop()
            return results

        monkeypatch.setattr(OrderPusher, "_push_part", part_then_crash)
        first = pusher.push(records, "replay")
        applied = [r for r in first if r.status == "applied"]
        failed = [r for r in first if r.status == "failed"]
        assert len(applied) == sum(parts[:2]) and len(failed) == len(records) - len(applied) > 0
        assert (
            f"Redis at {server.endpoint}" in failed[0].reason and "unreachable" in failed[0].reason
        )

        path = tmp_path / "retry.jsonl"
        path.write_text("\n".join(json.dumps(r, default=str) for r in records))
        down = run_cli("delivery-fs", "push-orders", str(path), env=env, check=False)
        assert down.returncode != 0 and f"Redis at {server.endpoint}" in down.stderr

        server.start()  # same port; loads the data saved before it died
        retry = OrderPusher(store, raw=data / "raw").push(records, "replay")
        assert [r.status for r in retry].count("duplicate") == len(applied)
        assert [r.status for r in retry].count("applied") == len(failed)
        touched = sorted(orders["user_id"].unique())
        everything = pd.concat([transactions, orders], ignore_index=True)
        online = _lean_stats(store, touched, T1)
        for user, values in zip(touched, online, strict=True):
            expected = expected_user_features(users, everything, user, T1)
            for name in STATS:
                assert same_value(expected[name], values[name].value), (user, name)
    finally:
        server.stop()


def test_an_order_is_visible_within_a_second(loaded):
    store, data, _ = loaded
    users, transactions = _raw(data)
    user = int(users["user_id"].iloc[3])
    now = datetime.now(UTC).replace(microsecond=0)
    order = {"transaction_id": 995000 + len(str(store.config.online_store.type)), "user_id": user,
             "amount": 12.0, "shipping_costs": 0.0, "discount_coupon": 1,
             "discount_coupon_amount": 2, "payment_method": "Cash", "delivery_type": "Vegan",
             "transaction_date": now.isoformat()}  # fmt: skip
    reader = OnlineFeatureReader(store, "checkout_model_v1")
    # a read first: the reader's connection (on SQLite, a mapped one) must see the later write
    before = reader.read([{"user_id": user, "cart_amount": 10.0}], now=now)[0]
    assert before["order_count_7d"].status is FeatureStatus.OUTSIDE_MAX_AGE  # the 2020 row, now
    pushed_at = datetime.now(UTC)
    results = OrderPusher(store, raw=data / "raw").push([order], "request")
    assert results[0].status == "applied", results[0]
    values = reader.read([{"user_id": user, "cart_amount": 10.0}], now=datetime.now(UTC))[0]
    assert datetime.now(UTC) - pushed_at < timedelta(seconds=1)
    assert (
        values["order_count_7d"].value == 1
        and values["order_count_7d"].status is FeatureStatus.PRESENT
    )
    assert values["cart_amount_vs_mean_30d"].value == pytest.approx(10.0 / 12.0)


def test_the_scoring_service_takes_pushed_orders(loaded):
    import requests

    from tests.http_servers import free_port, http_server

    store, data, env = loaded
    users, _ = _raw(data)
    user = int(users["user_id"].iloc[5])
    at = T0 + pd.Timedelta(days=60)
    order = {"transaction_id": 996001, "user_id": user, "amount": 30.25, "shipping_costs": 2.0,
             "discount_coupon": 0, "discount_coupon_amount": 0, "payment_method": "Cash",
             "transaction_date": at.isoformat(), "delivery_type": "Sushi"}  # fmt: skip
    bad = {**order, "transaction_id": 996002, "discount_coupon": 3}
    port = free_port()
    command = ["uvicorn", "feature_repo.serving.service.scoring_service:app", "--host", "127.0.0.1",
               "--port", str(port)]  # fmt: skip
    with http_server(command, port, ready_path="/docs", env=env) as url:
        answer = requests.post(f"{url}/push-orders", json={"orders": [order, bad]}, timeout=30)
        assert answer.status_code == 200, answer.text
        results = answer.json()["results"]
        assert [r["status"] for r in results] == ["applied", "rejected"]
        assert results[1]["location"] == "order 1" and "discount_coupon" in results[1]["reason"]
        score = requests.post(
            f"{url}/score/checkout",
            json={"user_id": user, "cart_amount": 30.25, "as_of": at.isoformat()},
            timeout=30,
        ).json()
    assert score["features"]["order_count_7d"] == 1
    assert score["features"]["cart_amount_vs_mean_30d"] == pytest.approx(1.0)
