"""The push's faster paths against the ones they replace: a Redis read left serialized decodes to
what Feast's ``online_read`` gives; the three views' sends keep their order and stop at a failure;
a pushed order's ``transaction_features`` row equals the batch transform's row for the same
history (random histories); a few rows written a value at a time leave the Redis hashes the
``ValueProto`` and column paths leave."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from feast import FeatureStore, RepoConfig
from feast.infra.online_stores.redis import RedisOnlineStore
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.value_type import ValueType
from hypothesis import given, settings
from hypothesis import strategies as st

from feature_repo.core.feast_internals import arrow_to_online_rows
from feature_repo.online.redis import BulkRedisOnlineStore
from feature_repo.push import online_writes
from feature_repo.push.apply import UserChange, transaction_rows
from feature_repo.push.ordered_sends import OrderedSends
from feature_repo.push.orders import PushedOrder
from feature_repo.push.values import python_of, python_of_bytes
from feature_repo.transforms.ledger_windows import ledgers_of
from feature_repo.transforms.transaction_features import transaction_features_table
from tests.independent import same_value
from tests.test_bulk_load import _batch, _view


def test_a_serialized_redis_read_decodes_to_what_feasts_online_read_gives(redis_server, tmp_path):
    view = _view()
    config = RepoConfig(
        project="serialized_read", provider="local", registry=str(tmp_path / "registry.db"),
        online_store={"type": "feature_repo.online.redis.BulkRedisOnlineStore",
                      "connection_string": redis_server.endpoint},
        entity_key_serialization_version=3,
    )  # fmt: skip
    batch = _batch([(1, 1.5, "a", 100), (2, math.nan, "", 200), (3, 0.0, "c", 300)])
    rows = arrow_to_online_rows(batch, view, {"user_id": ValueType.INT64})
    RedisOnlineStore().online_write_batch(config, view, rows, None)
    keys = [EntityKeyProto(join_keys=["user_id"], entity_values=[ValueProto(int64_val=u)])
            for u in (1, 2, 3, 4)]  # fmt: skip
    names = ["x", "s"]
    ours = BulkRedisOnlineStore().online_read_serialized(config, view, keys, names)
    feasts = RedisOnlineStore().online_read(config, view, keys, list(names))  # it appends to it
    assert ours[3] is None  # never written
    assert all(v.WhichOneof("val") is None for v in feasts[3][1].values())
    for mine, (event_time, values) in zip(ours[:3], feasts[:3], strict=True):
        assert mine[0] == event_time
        decoded = [python_of_bytes(raw) for raw in mine[1]]
        assert decoded == [python_of(values[name]) for name in names]
    assert ours[0][0] == pd.Timestamp(100_000_250, unit="us", tz="UTC")  # by hand


@pytest.mark.parametrize("threaded", [True, False])
def test_sends_run_in_order_and_stop_at_the_first_failure(threaded):
    done: list[str] = []

    def failing() -> None:
        raise ConnectionError("store gone")

    with OrderedSends(threaded) as sends:
        sends.submit(lambda: done.append("transaction_features"))
        with pytest.raises(ConnectionError, match="store gone"):
            sends.submit(failing)  # in turn: raised here
            sends.submit(lambda: done.append("ledger"))  # after a failure: never sent
            sends.wait()  # on the thread: raised here
    assert done == ["transaction_features"]


ORDER = st.tuples(
    st.integers(0, 40 * 86_400),  # seconds after the user's registration
    st.floats(0, 200, allow_nan=False).map(lambda x: round(x, 2)),
    st.integers(0, 1),
    st.integers(0, 30),
)


@settings(max_examples=60, deadline=None)
@given(history=st.lists(ORDER, max_size=6), pushed=st.lists(ORDER, min_size=1, max_size=4))
def test_a_pushed_orders_row_equals_the_batch_transforms_row(history, pushed):
    """One user with a random history and random later orders: the push's rows (from the ledger of
    the history) equal the batch table's rows of the same orders (from history + pushed)."""
    registered = pd.Timestamp("2020-03-01 08:30", tz="UTC")
    users = pd.DataFrame({"user_id": [7], "registration_date": [registered]})

    def frame(orders, first_id, after):
        return pd.DataFrame({
            "transaction_id": range(first_id, first_id + len(orders)), "user_id": 7,
            "amount": [o[1] for o in orders], "shipping_costs": 1.25,
            "discount_coupon": [o[2] for o in orders],
            "discount_coupon_amount": [o[3] for o in orders], "payment_method": "Cash",
            "transaction_date": [registered + after + pd.Timedelta(seconds=o[0]) for o in orders],
            "delivery_type": "Thai",
        })  # fmt: skip

    known = frame(history, 100, pd.Timedelta(0))
    latest = known["transaction_date"].max() if len(known) else registered
    later = frame(sorted(pushed), 500, latest - registered + pd.Timedelta(seconds=1))
    ledger = ledgers_of({7: registered}, known)[7]
    after, applied = ledger, []
    for row in later.itertuples(index=False):
        order = PushedOrder(index=len(applied), location="", **row._asdict())
        applied.append(order)
    change = UserChange(7, ledger, after, applied)
    ours = transaction_rows([change]).set_index("transaction_id")
    every = pd.concat([f for f in (known, later) if len(f)], ignore_index=True)
    batch = transaction_features_table(users, every)
    expected = batch.set_index("transaction_id").loc[ours.index]
    assert list(ours.index) == list(range(500, 500 + len(pushed)))
    for name in expected.columns:
        for mine, theirs in zip(ours[name].tolist(), expected[name].tolist(), strict=True):
            assert same_value(theirs, mine), name
            if isinstance(theirs, float) and not math.isnan(theirs):
                assert mine == theirs, name  # the same arithmetic: exactly equal


@pytest.mark.parametrize("rows", [1, 3, 80])
def test_a_few_rows_written_a_value_at_a_time_leave_the_hashes_of_the_other_paths(
    redis_server, tmp_path, monkeypatch, rows
):
    # the same rows through the value-at-a-time path, the ValueProto path (Feast's
    # ``online_write_batch``) and the column path: the same Redis hashes, field for field
    view, client = _view(), redis_server.client()
    users = list(range(1, rows + 1))
    columns = {
        "x": [math.nan if u % 3 == 0 else u * 0.25 for u in users],
        "s": [None if u % 4 == 0 else f"é{u}" for u in users],
    }
    times = [pd.Timestamp(1_600_000_000 + u, unit="s", tz="UTC").to_pydatetime() for u in users]
    paths = {"values": (500, 64), "protos": (0, 10**9), "columns": (0, 1)}  # VALUE_, ENCODED_ROWS
    hashes = {}
    for path, (value_rows, encoded_rows) in paths.items():
        monkeypatch.setattr(online_writes, "VALUE_ROWS", value_rows)
        monkeypatch.setattr(online_writes, "ENCODED_ROWS", encoded_rows)
        config = RepoConfig(
            project=f"small_{path}_{rows}", provider="local", registry=str(tmp_path / "registry.db"),
            online_store={"type": "feature_repo.online.redis.BulkRedisOnlineStore",
                          "connection_string": redis_server.endpoint},
            entity_key_serialization_version=3,
        )  # fmt: skip
        online_writes.write_view_columns(
            FeatureStore(config=config), view, {"user_id": users}, columns, times
        )
        keys = sorted(client.keys(f"*{config.project}"))
        assert len(keys) == rows
        hashes[path] = [(key[: -len(config.project)], client.hgetall(key)) for key in keys]
    assert hashes["values"] == hashes["protos"] == hashes["columns"]
