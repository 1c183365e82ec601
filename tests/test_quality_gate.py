"""The data-quality gate: each kind of expectation catches an injected fault; a failure blocks the step."""

import shutil

import pandas as pd
import pytest

from feature_repo.core.paths import features_dir
from feature_repo.operations.online_backfill import backfill_online
from feature_repo.pipeline.build import read_feature_tables
from feature_repo.quality.gate import QualityGateError, check_tables
from feature_repo.repository.store import open_store
from tests.cli_runner import run_cli
from tests.conftest import applied_store_config


@pytest.fixture(scope="module")
def tables(built_data):
    return read_feature_tables(features_dir())


def test_built_tables_meet_every_expectation(tables, horizon):
    report = check_tables(tables, as_of=horizon)
    assert report.passed, report.render()
    assert set(report.rows_checked) == {"user_profile", "user_order_stats", "transaction_features"}


def _broken(tables, name, change):
    table = tables[name].copy()
    change(table)
    return {name: table}


@pytest.mark.parametrize(
    ("name", "change", "expected"),
    [
        ("user_order_stats", lambda t: t.loc[4, "order_count_7d"].__class__ and t.__setitem__("order_count_7d", t["order_count_7d"].where(t.index != 4, -2)), "user_order_stats.order_count_7d: greater_than_or_equal_to(0) failed for 1 row(s) (e.g. -2)"),
        ("user_order_stats", lambda t: t.__setitem__("coupon_rate_90d", t["coupon_rate_90d"].where(t.index != 9, 1.5)), "user_order_stats.coupon_rate_90d: in_range(0, 1) failed for 1 row(s) (e.g. 1.5)"),
        ("user_order_stats", lambda t: t.__setitem__("spend_mean_30d", float("nan")), "spend_mean_30d missing exactly when order_count_30d is 0"),
        ("user_profile", lambda t: t.__setitem__("operating_system", t["operating_system"].where(t.index != 2, "Windows")), "user_profile.operating_system: isin(['Android', 'IOS', 'Web']) failed for 1 row(s) (e.g. Windows)"),
        ("user_profile", lambda t: t.drop(columns=["gender"], inplace=True), "column_in_dataframe failed for 1 row(s) (e.g. gender)"),
        ("transaction_features", lambda t: t.__setitem__("payment_method", t["payment_method"].where(t.index != 0, None)), "transaction_features.payment_method"),
        ("transaction_features", lambda t: t.__setitem__("order_hour_utc", t["order_hour_utc"] + 1), "order_hour_utc: in_range(0, 23)"),
    ],
)  # fmt: skip
def test_each_kind_of_fault_is_reported(tables, horizon, name, change, expected):
    report = check_tables(_broken(tables, name, change), as_of=horizon)
    assert not report.passed
    assert expected in report.render()


def test_stale_tables_fail_freshness(tables, horizon):
    report = check_tables(
        {"transaction_features": tables["transaction_features"]},
        as_of=horizon + pd.Timedelta(days=3),
    )
    assert "transaction_features.event_timestamp: freshness" in report.render()
    assert check_tables(
        {"transaction_features": tables["transaction_features"]}, as_of=horizon
    ).passed


def test_failed_gate_blocks_the_online_load_and_the_cli(tables, horizon, tmp_path, monkeypatch):
    data = tmp_path / "data"
    shutil.copytree(features_dir().parent, data)
    broken = tables["user_order_stats"].copy()
    broken["order_count_90d"] = broken["order_count_90d"] - 100
    broken.to_parquet(data / "features" / "user_order_stats.parquet", index=False)

    result = run_cli(
        "delivery-fs", "check-quality", check=False, env={"DELIVERY_FS_DATA_DIR": str(data)}
    )
    assert result.returncode == 2
    assert "user_order_stats.order_count_90d: greater_than_or_equal_to(0)" in result.stderr

    store = open_store(config_path=applied_store_config(tmp_path / "store"))
    monkeypatch.setenv("DELIVERY_FS_DATA_DIR", str(data))
    with pytest.raises(QualityGateError, match="Loading the online store was not run"):
        backfill_online(store, horizon.to_pydatetime())
    assert all(view.most_recent_end_time is None for view in store.list_feature_views())
    some_user = int(tables["user_profile"]["user_id"].iloc[0])
    online = store.get_online_features(
        features=["user_profile:gender"], entity_rows=[{"user_id": some_user}]
    ).to_dict()
    assert online["gender"] == [None]


def test_files_are_checked_a_part_at_a_time_with_rows_counted_across_parts(
    tables, horizon, tmp_path
):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from feature_repo.quality.gate import check_feature_files

    assert check_feature_files(features_dir(), as_of=horizon).rows_checked == {
        name: len(table) for name, table in tables.items()
    }
    broken = tables["user_order_stats"].copy()
    late = [len(broken) - 3, len(broken) - 1]  # both in the last of three row groups
    broken.loc[late, "spend_mean_30d"] = float("nan")
    broken.loc[late, "order_count_30d"] = 4
    with pq.ParquetWriter(
        tmp_path / "user_order_stats.parquet", pa.Table.from_pandas(broken).schema
    ) as out:
        for part in (broken.iloc[:1000], broken.iloc[1000:2000], broken.iloc[2000:]):
            out.write_table(pa.Table.from_pandas(part.reset_index(drop=True)))
    whole = check_tables({"user_order_stats": broken}, as_of=horizon).render()
    in_parts = check_feature_files(tmp_path, as_of=horizon).render()
    assert in_parts == whole
    assert f"e.g. row {late[0]}, row {late[1]}" in in_parts
