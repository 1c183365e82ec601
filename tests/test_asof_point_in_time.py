"""The offline store's ASOF point-in-time join on a hand-made history, against values worked out
by hand: ties on the event timestamp broken by the created timestamp, the TTL's edge, unknown
entities, repeated entity rows, and rows kept in the entity frame's order."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Int64

from feature_repo.offline.duckdb_store import DeliveryDuckDBOfflineStore
from feature_repo.offline.latest_rows import latest_rows
from feature_repo.offline.point_in_time import asof_training_table, in_entity_order


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


@pytest.fixture()
def view(tmp_path) -> FeatureView:
    history = pd.DataFrame(
        {
            "user_id": [1, 1, 1, 2, 4],
            "event_timestamp": [
                _utc("2024-01-01 10:00"),
                _utc("2024-01-01 10:00"),
                _utc("2024-01-01 12:00"),
                _utc("2024-01-01 09:00"),
                _utc("2024-01-01 10:30"),
            ],  # fmt: skip
            "created": [
                _utc("2024-01-01 10:05"),
                _utc("2024-01-01 10:10"),
                _utc("2024-01-01 12:00"),
                _utc("2024-01-01 09:00"),
                _utc("2024-01-01 10:30"),
            ],  # fmt: skip
            "value": [1, 2, 3, 4, 5],
        }
    )
    path = tmp_path / "history.parquet"
    history.to_parquet(path)
    source = FileSource(
        path=str(path), timestamp_field="event_timestamp", created_timestamp_column="created"
    )
    user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
    return FeatureView(
        name="orders",
        entities=[user],
        ttl=timedelta(hours=1),
        schema=[Field(name="user_id", dtype=Int64), Field(name="value", dtype=Int64)],
        source=source,
    )


def test_the_asof_join_follows_feasts_rules(view):
    cases = [  # (user, instant, expected value worked out by hand)
        (1, "2024-01-01 12:00", 3),  # the row at the instant itself counts
        (1, "2024-01-01 10:00", 2),  # two rows at 10:00: the later created (10:10) wins
        (1, "2024-01-01 10:59:59", 2),  # still within the hour's TTL
        (1, "2024-01-01 11:00:01", None),  # 10:00 + 1 h has passed, 12:00 is still ahead
        (1, "2024-01-01 09:59", None),  # before any row of the user
        (2, "2024-01-01 10:00", 4),  # exactly at 09:00 + TTL: still fresh (Feast's >=)
        (2, "2024-01-01 10:00:00.000001", None),  # a microsecond later: expired
        (3, "2024-01-01 10:00", None),  # unknown user
        (1, "2024-01-01 12:00", 3),  # a repeated entity row gets its own copy
        (4, "2024-01-01 10:29:59", None),  # the only row is a second later
    ]
    entities = pd.DataFrame(
        {
            "user_id": [user for user, _, _ in cases],
            "event_timestamp": [_utc(instant) for _, instant, _ in cases],
        }
    )
    entities["event_timestamp"] = entities["event_timestamp"].dt.as_unit("us")
    table = asof_training_table(
        entities, "event_timestamp", [view], ["orders:value"], False,
        lambda source: DeliveryDuckDBOfflineStore.read_source(source, ""),
    )  # fmt: skip
    frame = in_entity_order(table.to_pyarrow()).to_pandas()
    assert frame["user_id"].tolist() == entities["user_id"].tolist()
    assert frame["event_timestamp"].tolist() == entities["event_timestamp"].tolist()
    expected = [value for _, _, value in cases]
    actual = [None if pd.isna(v) else int(v) for v in frame["value"]]
    assert actual == expected


def test_full_feature_names_prefix_the_view(view):
    entities = pd.DataFrame({"user_id": [1], "event_timestamp": [_utc("2024-01-01 12:00")]})
    table = asof_training_table(
        entities, "event_timestamp", [view], ["orders:value"], True,
        lambda source: DeliveryDuckDBOfflineStore.read_source(source, ""),
    )  # fmt: skip
    assert in_entity_order(table.to_pyarrow()).column("orders__value").to_pylist() == [3]


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        ("2024-01-01 11:00", {1: 2, 2: 4, 4: 5}),  # user 1: two rows at 10:00, created 10:10 wins
        ("2024-01-01 12:00", {1: 3, 2: 4, 4: 5}),  # the 12:00 row is inside the window now
    ],
)
def test_latest_rows_follow_feasts_tie_rule(view, end, expected):
    source = view.batch_source
    table = latest_rows(
        DeliveryDuckDBOfflineStore.read_source(source, ""), ["user_id"], ["value"],
        "event_timestamp", "created", _utc("2024-01-01 09:00"), _utc(end),
    )  # fmt: skip
    frame = table.to_pandas()
    assert dict(zip(frame["user_id"], frame["value"], strict=True)) == expected
    assert frame["user_id"].is_unique
