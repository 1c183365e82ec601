"""Materialization's pull in parts: the latest rows of a view with one integer join key are
queried by ranges of that key, about ``latest_part_entities`` entities each, so that DuckDB holds
one part at a time; the parts together are the whole pull, and the online store they load is the
one a pull in one piece loads."""

from __future__ import annotations

import sqlite3

import pandas as pd
import yaml

from feature_repo.offline.latest_rows import QUANTILES, part_bounds
from feature_repo.repository.store import open_store
from tests.conftest import applied_store_config
from tests.latest_pulls import latest_in_window_by_pandas, pull_latest_in_window
from tests.test_offline_store import _online_rows

PART = 200  # entities per part: the test data's 1,245 users make about six parts


def test_part_bounds_are_the_quantiles_that_split_the_keys_evenly():
    # a key spread evenly over [0, 10240]: its i/1024 quantile is 10 * i
    quantiles = [10.0 * i for i in range(1, QUANTILES)]
    assert part_bounds(1000, quantiles, 250) == [2560, 5120, 7680]  # its quartiles
    assert part_bounds(1000, quantiles, 1000) == []  # one part: no bound
    assert part_bounds(0, [], 250) == []


def test_the_parts_are_disjoint_key_ranges_that_make_the_whole_pull(store, horizon):
    job = pull_latest_in_window(store, "user_order_stats", horizon)
    job.part_entities = PART
    parts = [part.execute() for part in job.parts()]
    whole = job.to_arrow().to_pandas().sort_values("user_id").reset_index(drop=True)
    assert len(whole) > 4 * PART and len(parts) >= len(whole) // (2 * PART)
    for part, after in zip(parts, parts[1:], strict=False):  # increasing, disjoint ranges
        assert part["user_id"].max() < after["user_id"].min()
    assert max(len(part) for part in parts) <= 2 * PART  # each about a part's entities
    streamed = pd.concat(
        [b.to_pandas() for b in job.to_arrow_batches(rows=100, key_order="user_id")]
    )
    pd.testing.assert_frame_equal(streamed.sort_values("user_id").reset_index(drop=True), whole)
    # the latest row per user in the window, computed by pandas from the source file
    latest = latest_in_window_by_pandas(store, "user_order_stats", horizon)
    assert sorted(whole["user_id"]) == sorted(latest["user_id"])


def _store_in(directory, part_entities: int | None):
    config = applied_store_config(directory)
    if part_entities is not None:
        settings = yaml.safe_load(config.read_text())
        settings["offline_store"]["latest_part_entities"] = part_entities
        config.write_text(yaml.safe_dump(settings, sort_keys=False))
    return open_store(config_path=config)


def test_a_load_in_parts_leaves_the_online_store_a_load_in_one_piece_leaves(tmp_path, horizon):
    end = horizon.to_pydatetime()
    for name, part_entities in (("whole", None), ("parts", PART)):
        feature_store = _store_in(tmp_path / name, part_entities)
        for view_name in ("user_profile", "user_order_stats"):
            view = feature_store.get_feature_view(view_name)
            feature_store.materialize(
                start_date=end - view.ttl, end_date=end, feature_views=[view_name]
            )
    expected = _online_rows(tmp_path / "whole" / "online_store.db")
    assert sum(len(rows) for rows in expected.values()) > 1000
    assert _online_rows(tmp_path / "parts" / "online_store.db") == expected
    with sqlite3.connect(tmp_path / "parts" / "online_store.db") as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
