"""The spark profile: the same definitions on Feast's Spark offline store and batch engine, and
``build-features --engine spark``, each compared with the default (DuckDB) path on the session data
(about 90,000 order-statistics rows, 22,000 transactions)."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest

from feature_repo.online.errors import MaterializationCheckError
from feature_repo.online.materialization_check import check_online_rows
from feature_repo.operations.online_backfill import backfill_online
from feature_repo.training.frames import sample_training_entities, training_frame
from tests.cli_runner import run_cli
from tests.conftest import SESSION_DIR
from tests.stores import SERVICE, profile_config

ENTITY_ROWS = 3_000
TABLES = ("user_profile", "user_order_stats", "transaction_features", "user_order_ledger")


@pytest.fixture(scope="module")
def spark_store(spark, built_data):
    """The spark profile applied (SparkSources, chosen by the profile) to a project of its own."""
    from feature_repo.repository.store import open_store

    directory = SESSION_DIR / "spark"
    directory.mkdir()
    config = profile_config("spark", directory, {}, project="spark_test")
    run_cli("feast", "-f", str(config), "apply", env={"FEAST_FS_YAML_FILE_PATH": str(config)})
    return open_store(config_path=config)


@pytest.fixture(scope="module")
def entities(raw_tables, horizon):
    users, _ = raw_tables
    start = users["registration_date"].min()
    return sample_training_entities(users, start, horizon, ENTITY_ROWS, seed=8)


def test_the_profile_builds_spark_sources(spark_store, store):
    kinds = {
        view.name: type(view.batch_source).__name__ for view in spark_store.list_feature_views()
    }
    assert kinds == dict.fromkeys(TABLES, "SparkSource")
    assert {type(v.batch_source).__name__ for v in store.list_feature_views()} == {"FileSource"}


def test_historical_features_equal_the_default_profile(spark_store, store, entities):
    on_spark = training_frame(spark_store, entities, SERVICE)
    default = training_frame(store, entities, SERVICE)
    assert len(on_spark) == len(default) == ENTITY_ROWS
    assert sorted(on_spark.columns) == sorted(default.columns)
    on_spark = on_spark[default.columns]
    for column in default.columns:
        if isinstance(default[column].dtype, pd.DatetimeTZDtype):
            assert str(on_spark[column].dt.tz) == "UTC", column
            on_spark[column] = on_spark[column].astype(default[column].dtype)
    assert on_spark["order_count_30d"].notna().sum() > ENTITY_ROWS // 2  # not an empty join
    pd.testing.assert_frame_equal(on_spark, default, check_dtype=False, rtol=1e-12)


def _online_database(store) -> str:
    return store.config.online_store.path


def _online_entities(store, view: str) -> int:
    """Entities of ``view`` in the SQLite online store, counted in its table (one row per feature)."""
    with sqlite3.connect(_online_database(store)) as connection:
        table = f"{store.project}_{view}"
        return connection.execute(f"SELECT count(DISTINCT entity_key) FROM {table}").fetchone()[0]


def test_materialization_writes_every_row_and_the_default_values(
    spark_store, materialized_store, raw_tables, horizon, built_data
):
    done = backfill_online(spark_store, horizon.to_pydatetime())
    assert {result.view for result in done} == set(TABLES)
    users, transactions = raw_tables
    expected_rows = {
        # every entity with a row inside the view's TTL before the horizon, counted from the raw data
        "user_profile": users["user_id"].nunique(),
    }
    orders_view = spark_store.get_feature_view("transaction_features")
    recent = transactions["transaction_date"].between(horizon - orders_view.ttl, horizon)
    expected_rows["transaction_features"] = int(recent.sum())  # one order per entity
    stats_view = spark_store.get_feature_view("user_order_stats")
    stats = pd.read_parquet(built_data / "features" / "user_order_stats.parquet")
    in_window = stats["event_timestamp"].between(horizon - stats_view.ttl, horizon)
    expected_rows["user_order_stats"] = stats.loc[in_window, "user_id"].nunique()
    expected_rows["user_order_ledger"] = users["user_id"].nunique()  # no TTL: every user's ledger
    for view, rows in expected_rows.items():
        assert _online_entities(spark_store, view) == rows, view
    ids = users["user_id"].tolist()
    features = [f"{view}:{f.name}" for view in ("user_profile", "user_order_stats")
                for f in spark_store.get_feature_view(view).features]  # fmt: skip
    on_spark = spark_store.get_online_features(features, [{"user_id": u} for u in ids]).to_df()
    default = materialized_store.get_online_features(
        features, [{"user_id": u} for u in ids]
    ).to_df()
    assert on_spark["lifetime_order_count"].sum() == len(transactions)
    pd.testing.assert_frame_equal(on_spark[default.columns], default, check_dtype=False)


def test_the_materialization_check_fails_when_rows_are_missing(spark_store, horizon):
    view = spark_store.get_feature_view("user_profile")
    start = horizon.to_pydatetime() - view.ttl
    with sqlite3.connect(_online_database(spark_store)) as connection:
        connection.execute(
            "DELETE FROM spark_test_user_profile WHERE entity_key IN "
            "(SELECT DISTINCT entity_key FROM spark_test_user_profile LIMIT 3)"
        )
    with pytest.raises(MaterializationCheckError, match="are missing online"):
        check_online_rows(spark_store, view, start, horizon.to_pydatetime())
    spark_store.materialize(start, horizon.to_pydatetime(), feature_views=["user_profile"])
    assert check_online_rows(spark_store, view, start, horizon.to_pydatetime()) > 0


def test_build_features_on_spark_equals_the_default(built_data, tmp_path):
    result = run_cli("delivery-fs", "build-features", "--engine", "spark", "--out", str(tmp_path))
    assert "wrote: user_order_stats" in result.stdout
    for table in TABLES:
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / f"{table}.parquet"),
            pd.read_parquet(built_data / "features" / f"{table}.parquet"),
        )


SPARK_DEFECTS = [
    ("transactions", "amount", [30, 700], "twelve"),
    ("transactions", "amount", [40, 41], -3.5),
    ("transactions", "amount", [50], 1e308),  # money is in [0, 100000]
    ("transactions", "discount_coupon_amount", [12], 1e30),  # not an int64
    ("transactions", "transaction_date", [25], "2020-06-01 10:00:00+02:00"),
    ("transactions", "transaction_id", [5, 800], 1),
    ("transactions", "user_id", [60], 999),
    ("users", "birth_date", [7], "2021-01-01"),
]


@pytest.mark.parametrize(("table", "column", "rows", "value"), SPARK_DEFECTS)
def test_spark_reports_bad_raw_data_as_the_default_reader(
    spark, tmp_path, table, column, rows, value
):
    from feature_repo.pipeline import raw_data
    from feature_repo.pipeline.errors import RawDataError
    from feature_repo.pipeline.generate import generate_tutorial_data
    from feature_repo.spark import raw_data as on_spark

    tables = generate_tutorial_data(seed=5, scale=0.004)  # 50 users, about 900 transactions
    frames = {"users": tables.users, "transactions": tables.transactions}
    frames[table] = frames[table].astype({column: object})
    frames[table].loc[rows, column] = value
    paths = {name: tmp_path / f"{name}.csv" for name in frames}
    for name, frame in frames.items():
        frame.to_csv(paths[name], index=False)
    messages = []
    for read_users, read_transactions in (
        (raw_data.read_users, raw_data.read_transactions),
        (
            lambda p: on_spark.read_users(spark, p),
            lambda p, u: on_spark.read_transactions(spark, p, u),
        ),
    ):
        with pytest.raises(RawDataError) as error:
            read_transactions(paths["transactions"], read_users(paths["users"]))
        messages.append(str(error.value))
    assert messages[0] == messages[1]
    assert f"line {rows[0] + 2} " in messages[0] and f"column '{column}'" in messages[0]
