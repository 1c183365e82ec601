"""The project's offline store (``DeliveryDuckDBOfflineStore``) against Feast's stock DuckDB store.

Entity frames as a notebook builds them (nanoseconds, naive, ISO strings) give the values of the
same frame with clean timestamps; on-demand features computed on whole columns equal the
row-wise functions; a materialization that pulls the latest row per entity in DuckDB leaves the
online store equal to a load by the stock classes.
"""

from __future__ import annotations

import shutil
import sqlite3

import numpy as np
import pandas as pd
import pytest

from feature_repo.offline.entity_frame import EntityFrameError
from feature_repo.repository.store import open_store
from feature_repo.training.frames import sample_training_entities, training_frame
from feature_repo.transforms.request_features import checkout_features, recency_features
from tests.cli_runner import run_cli
from tests.latest_pulls import latest_in_window_by_pandas, pull_latest_in_window

SERVICE = "checkout_model_v1"  # profile, order stats and both on-demand views
OURS = "feature_repo.offline.duckdb_store.DeliveryDuckDBOfflineStore"


def _with_offline_store(stock_config, directory, pull_latest: bool, apply: bool = False):
    """A copy of the test store's configuration with its own registry and SQLite file, using our
    class (and the latest-row pull) when ``pull_latest``. Without ``apply`` the registry is a
    copy, read only; with it a fresh one, applied (a copied registry names the original's SQLite
    tables, which an apply would drop)."""
    directory.mkdir(parents=True, exist_ok=True)
    text = stock_config.read_text()
    registry = stock_config.parent / "registry.db"
    if not apply:
        shutil.copy(registry, directory / "registry.db")
    text = text.replace(str(registry), str(directory / "registry.db"))
    text = text.replace(
        str(stock_config.parent / "online_store.db"), str(directory / "online_store.db")
    )
    if pull_latest:
        text = text.replace("type: duckdb", f"type: {OURS}")
        text += "materialization:\n  pull_latest_features: true\n"
    config = directory / "feature_store.yaml"
    config.write_text(text)
    if apply:
        run_cli("feast", "-f", str(config), "apply")
    return open_store(config_path=config)


@pytest.fixture(scope="module")
def ours(store_config, tmp_path_factory):
    return _with_offline_store(store_config, tmp_path_factory.mktemp("ours"), pull_latest=True)


@pytest.fixture(scope="module")
def entities(raw_tables, horizon) -> pd.DataFrame:
    users, _ = raw_tables
    return sample_training_entities(users, horizon - pd.Timedelta(days=400), horizon, 600, 5)


@pytest.fixture(scope="module")
def clean_frame(store, entities) -> pd.DataFrame:
    """The stock store's answer for timestamps it accepts (whole seconds, UTC)."""
    return training_frame(store, entities, SERVICE)


def test_clean_frames_give_the_stock_stores_values(ours, entities, clean_frame):
    pd.testing.assert_frame_equal(training_frame(ours, entities, SERVICE), clean_frame)


@pytest.mark.parametrize("kind", ["nanoseconds", "naive", "iso strings", "other time zone"])
def test_notebook_timestamps_give_the_clean_frames_values(ours, entities, clean_frame, kind):
    frame = entities.copy()
    stamps = frame["event_timestamp"]
    rng = np.random.default_rng(3)
    if kind == "nanoseconds":  # what arithmetic on float seconds gives, under a microsecond
        frame["event_timestamp"] = stamps + pd.to_timedelta(rng.integers(1, 1000, len(frame)), "ns")
        assert (frame["event_timestamp"].dt.nanosecond > 0).any()
    elif kind == "naive":
        frame["event_timestamp"] = stamps.dt.tz_localize(None)
    elif kind == "iso strings":
        frame["event_timestamp"] = stamps.dt.strftime("%Y-%m-%dT%H:%M:%S")
    else:
        frame["event_timestamp"] = stamps.dt.tz_convert("America/New_York")
    result = ours.get_historical_features(
        entity_df=frame, features=ours.get_feature_service(SERVICE)
    ).to_df()
    pd.testing.assert_frame_equal(result, clean_frame)


def test_the_callers_frame_is_left_as_it_was(ours, entities):
    frame = entities.head(20).copy()
    frame["event_timestamp"] = frame["event_timestamp"].dt.tz_localize(None)
    before = frame.copy()
    ours.get_historical_features(entity_df=frame, features=ours.get_feature_service(SERVICE))
    pd.testing.assert_frame_equal(frame, before)


def test_unreadable_timestamps_name_the_column_and_rows(ours, entities):
    frame = entities.head(5).copy()
    frame["event_timestamp"] = ["2024-01-01", "yesterday", "2024-01-02", "soon", "2024-01-03"]
    with pytest.raises(EntityFrameError, match=r"'event_timestamp'.*row 1: 'yesterday'.*row 3"):
        ours.get_historical_features(entity_df=frame, features=ours.get_feature_service(SERVICE))


def test_on_demand_features_equal_the_row_wise_functions(clean_frame):
    """The vectorised path's values against the python functions the online path runs, row by row."""
    for row in clean_frame.head(300).itertuples(index=False):
        expected = {
            **recency_features([row.registered_at], [row.last_order_at], [row.request_time]),
            **checkout_features([row.cart_amount], [row.spend_mean_30d]),
        }
        for name, (value,) in expected.items():
            actual = getattr(row, name)
            assert (value is None and pd.isna(actual)) or value == pytest.approx(actual), name


def _online_rows(path) -> dict[str, list]:
    with sqlite3.connect(path) as connection:
        tables = [
            name
            for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")
        ]
        return {
            table: sorted(
                connection.execute(
                    f'SELECT entity_key, feature_name, value, event_ts FROM "{table}"'
                ).fetchall()
            )
            for table in tables
        }


def test_materialization_loads_what_the_stock_classes_load(store_config, tmp_path, horizon):
    stock = _with_offline_store(store_config, tmp_path / "stock", pull_latest=False, apply=True)
    latest = _with_offline_store(store_config, tmp_path / "latest", pull_latest=True, apply=True)
    end = horizon.to_pydatetime()
    for feature_store in (stock, latest):
        for name in ("user_profile", "user_order_stats"):
            view = feature_store.get_feature_view(name)
            feature_store.materialize(start_date=end - view.ttl, end_date=end, feature_views=[name])
    expected = _online_rows(tmp_path / "stock" / "online_store.db")
    assert sum(len(rows) for rows in expected.values()) > 1000
    assert _online_rows(tmp_path / "latest" / "online_store.db") == expected


def test_the_latest_rows_stream_as_arrow_batches(ours, horizon):
    job = pull_latest_in_window(ours, "user_order_stats", horizon)
    whole = job.to_arrow().to_pandas().sort_values("user_id").reset_index(drop=True)
    batches = list(job.to_arrow_batches(rows=100))
    assert max(b.num_rows for b in batches) <= 100 and len(batches) > 1
    streamed = pd.concat([b.to_pandas() for b in batches]).sort_values("user_id")
    pd.testing.assert_frame_equal(streamed.reset_index(drop=True), whole)
    latest = latest_in_window_by_pandas(ours, "user_order_stats", horizon)
    assert whole["user_id"].is_unique and len(whole) == latest["user_id"].nunique()
    merged = whole.merge(latest, on="user_id", suffixes=("", "_expected"))
    assert (merged["event_timestamp"] == merged["event_timestamp_expected"]).all()
