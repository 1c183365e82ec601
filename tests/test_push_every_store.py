"""One push on every store (SQLite, Redis, Redis Cluster, DynamoDB): a batch mixing several orders
of one user, a duplicate and rejected orders gets the statuses worked out by hand, and stock
Feast's ``get_online_features`` then reads the rows the push wrote, equal to the naive second
implementation; the same batch pushed again changes nothing. On Redis the rows go through the
scripted bulk writer, their scalars encoded a value at a time (``value_bytes``), as in the
one-order tests of ``test_fresh_push``."""

from __future__ import annotations

import pandas as pd
import pytest

from feature_repo.operations.online_backfill import backfill_online
from feature_repo.push import online_writes
from feature_repo.push.service import OrderPusher
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
    return store, directory


def _stock(store, view: str, names: list[str], rows: list[dict]) -> dict:
    features = [f"{view}:{name}" for name in names]
    return store.get_online_features(features=features, entity_rows=rows).to_dict()


def test_a_mixed_batch_is_stored_as_stock_feast_reads_it(loaded, raw_tables, horizon, monkeypatch):
    store, directory = loaded
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
