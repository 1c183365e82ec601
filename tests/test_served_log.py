"""Served-feature logging (feature_repo/serving/lookup/served_log.py): the rows written are the rows served,
in Feast's logging columns for the feature service, sampled at the configured rate, written whole."""

from __future__ import annotations

import copy
import math
import threading
from datetime import UTC, datetime

import pyarrow.dataset as ds
import pytest
from feast.feature_logging import FeatureServiceLoggingSource
from feast.infra.offline_stores.file_source import FileLoggingDestination

from feature_repo.offline.feature_logs import write_feature_log
from feature_repo.serving.lookup.online_features import FeatureStatus, OnlineFeatureReader
from feature_repo.serving.lookup.served_log import ServedFeatureLog

pytestmark = pytest.mark.integration
SERVICE = "churn_model_v1"
FEAST_STATUS = {"PRESENT": 1, "NULL_VALUE": 2, "NOT_FOUND": 3, "OUTSIDE_MAX_AGE": 4}


@pytest.fixture
def logged(materialized_store, tmp_path):
    """The churn service with its log sent to a test directory, and a reader of it."""
    service = copy.deepcopy(materialized_store.get_feature_service(SERVICE))
    service.logging_config.destination = FileLoggingDestination(
        path=str(tmp_path / "logs"), partition_by=["__log_date"]
    )
    reader = OnlineFeatureReader(materialized_store, SERVICE)
    return service, reader, tmp_path / "logs"


def _naive_utc(value):
    """Feast's log schema keeps timestamps without a time zone, in UTC."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def _log(store, service, reader, rate: float) -> ServedFeatureLog:
    plan = reader.plan
    return ServedFeatureLog(store, service, plan.output_views, plan.output_names, sample_rate=rate)


def test_logged_rows_are_the_served_rows_in_feasts_columns(
    materialized_store, logged, raw_tables, horizon
):
    service, reader, folder = logged
    users = raw_tables[0]["user_id"].tolist()[:40] + [1]  # user 1 does not exist
    at = horizon.to_pydatetime()
    served = reader.read([{"user_id": u} for u in users], now=at)
    log = _log(materialized_store, service, reader, 1.0)
    predictions = [i / 100 for i in range(len(users))]
    assert log.record([{"user_id": u, "request_time": at} for u in users], served, predictions, "7",
                      "request-1")  # fmt: skip
    assert log.flush() == len(users) and log.flush() == 0

    files = sorted(folder.rglob("*.parquet"))
    assert [f.parent.name for f in files] == [f"__log_date={datetime.now(UTC).date()}"]
    table = ds.dataset(
        folder, format="parquet", partitioning="hive", ignore_prefixes=["."]
    ).to_table()
    feast_schema = FeatureServiceLoggingSource(service, materialized_store.project).get_schema(
        materialized_store.registry
    )
    assert set(feast_schema.names) <= set(table.column_names)
    rows = sorted(table.to_pylist(), key=lambda r: users.index(r["user_id"]))
    assert [r["user_id"] for r in rows] == users
    for row, values, prediction in zip(rows, served, predictions, strict=True):
        assert row["prediction"] == prediction and row["model_version"] == "7"
        assert row["__request_id"] == "request-1" and row["request_time"] == _naive_utc(at)
        for view, name in zip(reader.plan.output_views, reader.plan.output_names, strict=True):
            value = values[name]
            column = f"{view}__{name}"
            assert row[column] == _naive_utc(value.value), (row["user_id"], column)
            status = "NOT_FOUND" if value.status is FeatureStatus.NOT_YET_VALID else value.status
            assert row[f"{column}__status"] == FEAST_STATUS[status], (row["user_id"], column)
    unknown = rows[-1]
    assert unknown["user_profile__age_years__status"] == FEAST_STATUS["NOT_FOUND"]
    assert unknown["user_order_stats__order_count_30d"] is None


def test_requests_are_sampled_at_the_configured_rate(
    materialized_store, logged, raw_tables, horizon
):
    service, reader, _ = logged
    user = raw_tables[0]["user_id"].iloc[0]
    served = reader.read([{"user_id": int(user)}], now=horizon.to_pydatetime())
    rate, requests = 0.25, 4000
    log = _log(materialized_store, service, reader, rate)
    kept = sum(log.record([{"user_id": int(user)}], served, [0.5], "1") for _ in range(requests))
    # binomial(4000, 0.25): mean 1000, sd 27.4; 5 sd either side fails once in ~3.5 million runs
    assert abs(kept - rate * requests) < 5 * math.sqrt(requests * rate * (1 - rate))
    assert log.flush() == kept
    off = _log(materialized_store, service, reader, 0.0)
    assert not any(off.record([{"user_id": int(user)}], served, [0.5], "1") for _ in range(100))


def test_a_log_batch_that_fails_to_write_leaves_no_file_and_is_kept(
    materialized_store, logged, raw_tables, horizon, tmp_path
):
    service, reader, folder = logged
    user = int(raw_tables[0]["user_id"].iloc[0])
    served = reader.read([{"user_id": user}], now=horizon.to_pydatetime())
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the log folder should be")
    service.logging_config.destination = FileLoggingDestination(
        path=str(blocked / "logs"), partition_by=["__log_date"]
    )
    log = _log(materialized_store, service, reader, 1.0)
    log.record([{"user_id": user}], served, [0.5], "1")
    with pytest.raises(OSError):
        log.flush()
    assert log.failed_batches == 1 and not list(tmp_path.rglob("*.parquet"))
    service.logging_config.destination = FileLoggingDestination(
        path=str(folder), partition_by=["__log_date"]
    )
    assert log.flush() == 1  # the batch waited for the next flush


def test_a_background_flush_waits_for_the_service_to_be_idle(
    materialized_store, logged, raw_tables, horizon
):
    """With the service's ``idle`` event clear (a request in flight) and a long wait allowed, the
    paused flush holds at its first column; once idle, it writes every row."""
    service, reader, folder = logged
    users = [int(u) for u in raw_tables[0]["user_id"].tolist()[:5]]
    served = reader.read([{"user_id": u} for u in users], now=horizon.to_pydatetime())
    log = _log(materialized_store, service, reader, 1.0)
    log.idle, log.busy_wait_seconds = threading.Event(), 60.0  # busy, and patient
    log.record([{"user_id": u} for u in users], served, [0.5] * len(users), "1")
    written: list[int] = []
    flushing = threading.Thread(target=lambda: written.append(log.flush(pause=True)))
    flushing.start()
    flushing.join(timeout=1.0)
    assert flushing.is_alive() and not written and not list(folder.rglob("*.parquet"))
    log.idle.set()  # the last request answered
    flushing.join(timeout=30)
    assert written == [len(users)]
    files = list(folder.rglob("*.parquet"))  # "__log_date=" folders: not read as a dataset's
    assert sum(ds.dataset(f, format="parquet").count_rows() for f in files) == len(users)


def test_partitions_split_one_batch_by_date(tmp_path):
    import pyarrow as pa

    table = pa.table({"x": [1, 2, 3], "__log_date": pa.array(
        [datetime(2020, 10, 1).date(), datetime(2020, 10, 2).date(), datetime(2020, 10, 1).date()]
    )})  # fmt: skip
    written = write_feature_log(table, str(tmp_path), ["__log_date"])
    assert sorted(p.parent.name for p in written) == [
        "__log_date=2020-10-01",
        "__log_date=2020-10-02",
    ]
    back = (
        ds.dataset(tmp_path, format="parquet", partitioning="hive", ignore_prefixes=["."])
        .to_table()
        .to_pylist()
    )
    assert sorted((r["x"], str(r["__log_date"])) for r in back) == [
        (1, "2020-10-01"), (2, "2020-10-02"), (3, "2020-10-01"),
    ]  # fmt: skip
