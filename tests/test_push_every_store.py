"""One push on every store (SQLite, Redis, Redis Cluster, DynamoDB): a batch mixing several orders
of one user, a duplicate and rejected orders gets the statuses worked out by hand, and stock
Feast's ``get_online_features`` then reads the rows the push wrote, equal to the naive second
implementation; the same batch pushed again changes nothing. Pushes of the same users from several
pushers at once lose no order, and a push that waits past the store's push lock fails and applies
when pushed again. On Redis the rows go through the scripted bulk writer, their scalars encoded a
value at a time (``value_bytes``), as in the one-order tests of ``test_fresh_push``."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest

from feature_repo.operations.online_backfill import backfill_online
from feature_repo.push import ledger_lock, online_writes
from feature_repo.push.ledger_lock import push_lock
from feature_repo.push.service import LEDGER_VIEW, OrderPusher
from feature_repo.repository.store import open_store
from feature_repo.transforms.order_stats import column_order
from tests.cli_runner import run_cli
from tests.independent import expected_user_features, same_value
from tests.stores import copy_data, profile_config
from tests.test_store_behaviour import PROFILES, SET_UPS

pytestmark = pytest.mark.integration
STATS = [c for c in column_order() if c not in ("user_id", "event_timestamp")]


@pytest.fixture(scope="module", params=PROFILES)
def loaded(request, built_data, horizon, tmp_path_factory):
    """The profile's store, applied on a private copy of the session's data and loaded."""
    profile = request.param
    directory = tmp_path_factory.mktemp(f"push_{profile}")
    data_dir = copy_data(built_data, directory / "data")
    variables, env, _ = SET_UPS[profile](request, directory)
    env = {"DELIVERY_FS_DATA_DIR": str(data_dir), **env}
    config = profile_config(profile, directory, variables, project=f"push_{profile}")
    run_cli("feast", "-f", str(config), "apply", env=env)
    store = open_store(config_path=config)
    backfill_online(store, horizon.to_pydatetime())
    return store, directory, config


def _stock(store, view: str, names: list[str], rows: list[dict]) -> dict:
    features = [f"{view}:{name}" for name in names]
    return store.get_online_features(features=features, entity_rows=rows).to_dict()


def test_a_mixed_batch_is_stored_as_stock_feast_reads_it(loaded, raw_tables, horizon, monkeypatch):
    store, directory, _ = loaded
    monkeypatch.setattr(online_writes, "ENCODED_ROWS", 1)
    users, transactions = raw_tables
    user = int(transactions.groupby("user_id").size().idxmax())
    first, second = horizon + pd.Timedelta(hours=1), horizon + pd.Timedelta(hours=2)
    base = {"user_id": user, "shipping_costs": 1.5, "discount_coupon": 1,
            "discount_coupon_amount": 3, "payment_method": "Cash", "delivery_type": "Thai"}  # fmt: skip
    records = [
        {**base, "transaction_id": 880002, "amount": 31.25, "transaction_date": second.isoformat()},
        {**base, "transaction_id": 880001, "amount": 12.5, "transaction_date": first.isoformat()},
        {**base, "transaction_id": 880001, "amount": 12.5, "transaction_date": first.isoformat()},
        {**base, "transaction_id": 880003, "amount": -4, "transaction_date": first.isoformat()},
        {**base, "transaction_id": 880004, "user_id": 1, "amount": 9.0, "transaction_date": first.isoformat()},
    ]  # fmt: skip
    pusher = OrderPusher(store, raw=directory / "raw")
    statuses = [str(r.status) for r in pusher.push(records, "request", now=second)]
    assert statuses == ["applied", "applied", "duplicate", "rejected", "rejected"]

    pushed = pd.DataFrame(records[:2]).assign(
        transaction_date=lambda f: pd.to_datetime(f["transaction_date"], utc=True)
    )
    everything = pd.concat([transactions, pushed[transactions.columns]], ignore_index=True)
    expected = expected_user_features(users, everything, user, second)
    stats = _stock(store, "user_order_stats", STATS, [{"user_id": user}])
    for name in STATS:
        assert same_value(expected[name], stats[name][0]), name
    orders = _stock(
        store, "transaction_features", ["amount", "user_order_number"],
        [{"transaction_id": 880001}, {"transaction_id": 880002}],
    )  # fmt: skip
    before = int((transactions["user_id"] == user).sum())
    assert orders["amount"] == [12.5, 31.25]
    assert orders["user_order_number"] == [before + 1, before + 2]

    again = [str(r.status) for r in pusher.push(records, "request", now=second)]
    assert again == ["duplicate", "duplicate", "duplicate", "rejected", "rejected"]
    assert _stock(store, "user_order_stats", STATS, [{"user_id": user}]) == stats


PUSHERS = 4
PUSHES_EACH = 12


def test_concurrent_pushes_of_the_same_users_lose_no_order(loaded, raw_tables, horizon):
    """Four pushers, each over its own store object (as four workers would be), push one order at
    a time for the same three users at once. Pushes that arrive after a later order of the user are
    ``late``; every order reported ``applied`` is in the user's stats, which equal the naive
    features of the raw orders plus exactly the applied ones, at the user's latest applied order."""
    store, directory, config = loaded
    users, transactions = raw_tables
    counts = transactions.groupby("user_id").size()
    busiest = counts.idxmax()  # the mixed batch's user
    chosen = [int(u) for u in counts.sort_values(ascending=False).index if u != busiest][:3]
    start = horizon + pd.Timedelta(hours=3)
    base = {"shipping_costs": 2.0, "discount_coupon": 0, "discount_coupon_amount": 0,
            "payment_method": "Cash", "delivery_type": "Pizza"}  # fmt: skip

    def orders_of(pusher: int) -> list[dict]:
        return [
            {**base, "user_id": chosen[(k + pusher) % len(chosen)],
             "transaction_id": 890_000 + k * PUSHERS + pusher, "amount": 10.0 + pusher + k,
             "transaction_date": (start + pd.Timedelta(minutes=k * PUSHERS + pusher)).isoformat()}
            for k in range(PUSHES_EACH)
        ]  # fmt: skip

    ready = threading.Barrier(PUSHERS)

    def push_all(pusher: int) -> list[tuple[dict, str]]:
        own = OrderPusher(open_store(config_path=config), raw=directory / "raw")
        ready.wait()
        now = (start + pd.Timedelta(days=1)).to_pydatetime()
        return [
            (order, str(own.push([order], "request", now=now)[0].status))
            for order in orders_of(pusher)
        ]

    with ThreadPoolExecutor(PUSHERS) as pool:
        pushed = [pair for done in pool.map(push_all, range(PUSHERS)) for pair in done]
    assert {status for _, status in pushed} <= {"applied", "late"}
    applied = pd.DataFrame([order for order, status in pushed if status == "applied"])
    applied["transaction_date"] = pd.to_datetime(applied["transaction_date"], utc=True)
    everything = pd.concat([transactions, applied[transactions.columns]], ignore_index=True)
    rows = [{"user_id": user} for user in chosen]
    stats = _stock(store, "user_order_stats", STATS, rows)
    for position, user in enumerate(chosen):
        mine = applied[applied["user_id"] == user]
        assert len(mine), user  # the first order of a user to arrive is never late
        assert stats["lifetime_order_count"][position] == counts[user] + len(mine), user
        expected = expected_user_features(users, everything, user, mine["transaction_date"].max())
        for name in STATS:
            assert same_value(expected[name], stats[name][position]), (user, name)


def test_a_push_that_waits_past_the_lock_fails_and_applies_when_pushed_again(
    loaded, raw_tables, horizon, monkeypatch
):
    """While the store's push lock is held elsewhere, a push waits ``WAIT_SECONDS`` and answers
    ``failed`` naming the lock; pushed again once it is free, the order is applied."""
    store, directory, config = loaded
    monkeypatch.setattr(ledger_lock, "WAIT_SECONDS", 0.3)
    _, transactions = raw_tables
    user = int(transactions.groupby("user_id").size().sort_values(ascending=False).index[5])
    at = horizon + pd.Timedelta(hours=5)
    order = {"user_id": user, "transaction_id": 895_001, "amount": 7.5, "shipping_costs": 1.0,
             "discount_coupon": 0, "discount_coupon_amount": 0, "payment_method": "Cash",
             "delivery_type": "Thai", "transaction_date": at.isoformat()}  # fmt: skip
    pusher = OrderPusher(open_store(config_path=config), raw=directory / "raw")
    now = (at + pd.Timedelta(minutes=1)).to_pydatetime()
    with push_lock(store, LEDGER_VIEW, "hint"):
        [waited] = pusher.push([order], "request", now=now)
    assert str(waited.status) == "failed"
    assert "Another push held" in waited.reason and "for over 0.3 s" in waited.reason
    [again] = pusher.push([order], "request", now=now)
    assert str(again.status) == "applied"
    stats = _stock(store, "user_order_stats", ["lifetime_order_count"], [{"user_id": user}])
    assert stats["lifetime_order_count"] == [int((transactions["user_id"] == user).sum()) + 1]
