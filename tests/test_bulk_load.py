"""The streaming engine's loads against stock Feast's: the same bytes in SQLite and Redis, a SQLite
load interrupted midway leaving the view as it was, and Feast's newer-row rule on Redis; our SQLite
tables in key order (``WITHOUT ROWID``), read alike by stock Feast, and a table with rows kept."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pyarrow as pa
import pytest
import yaml
from feast import Entity, FeatureView, Field, FileSource, RepoConfig
from feast.infra.key_encoding_utils import deserialize_entity_key
from feast.infra.online_stores.sqlite import SqliteOnlineStore
from feast.types import Float64, Int64, String
from feast.value_type import ValueType

from feature_repo.core.feast_internals import arrow_to_online_rows
from feature_repo.online import batch_engine
from feature_repo.online.encoded_rows import encode_rows
from feature_repo.online.redis import BulkRedisOnlineStore
from feature_repo.repository.horizon import data_horizon
from feature_repo.repository.store import open_store
from tests.cli_runner import run_cli
from tests.stores import profile_config

STOCK_TYPES = {"sqlite": "sqlite", "redis": "redis"}


def _applied(
    profile: str,
    directory: Path,
    env: dict,
    variables: dict,
    stock: bool = False,
    **materialization,
):
    project = f"bulk_{profile}_{'stock' if stock else 'ours'}"
    directory.mkdir(parents=True)
    config = profile_config(profile, directory, variables, project)
    document = yaml.safe_load(config.read_text())
    if stock:
        document["online_store"]["type"] = STOCK_TYPES[profile]
        document.pop("batch_engine", None)
    document.setdefault("materialization", {}).update(materialization)
    config.write_text(yaml.safe_dump(document))
    run_cli("feast", "-f", str(config), "apply", env=env)
    return open_store(config_path=config)


def _load(store, end, views=None):
    for view in store.list_feature_views():
        if views is None or view.name in views:
            store.materialize(end - view.ttl, end, feature_views=[view.name])


def _sqlite_contents(store) -> dict[str, list]:
    """Every online table's rows, by table name without the project."""
    connection = sqlite3.connect(store.config.online_store.path)
    prefix = f"{store.config.project}_"
    names = [n for (n,) in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    return {
        name.removeprefix(prefix): connection.execute(
            f'SELECT entity_key, feature_name, value, value_text, event_ts, created_ts FROM "{name}" '
            "ORDER BY entity_key, feature_name"
        ).fetchall()
        for name in names
        if name.startswith(prefix)
    }


def _redis_contents(client, project: str) -> dict[bytes, dict]:
    suffix = project.encode()
    return {
        key.removesuffix(suffix): client.hgetall(key)
        for key in client.scan_iter(count=10_000)
        if key.endswith(suffix)
    }


@pytest.mark.parametrize("profile", ["sqlite", "redis"])
def test_engine_load_holds_the_bytes_of_a_stock_load(profile, request, built_data, tmp_path):
    env = {"DELIVERY_FS_DATA_DIR": str(built_data)}
    variables = {}
    if profile == "redis":
        server = request.getfixturevalue("redis_server")
        variables = {"DELIVERY_FS_REDIS": server.endpoint}
    ours = _applied(profile, tmp_path / "ours", env, variables)
    stock = _applied(profile, tmp_path / "stock", env, variables, stock=True)
    assert ours.config.batch_engine_config["type"] == batch_engine.ENGINE_TYPE
    end = data_horizon(built_data / "features").to_pydatetime()
    for store in (ours, stock):
        _load(store, end)
    if profile == "sqlite":
        mine, theirs = _sqlite_contents(ours), _sqlite_contents(stock)
    else:
        client = server.client()
        mine, theirs = (_redis_contents(client, s.config.project) for s in (ours, stock))
    assert len(mine) >= 3 if profile == "sqlite" else len(mine) > 100
    assert mine == theirs


def test_sqlite_load_interrupted_midway_leaves_the_view_as_it_was_and_a_rerun_equals_a_clean_load(
    built_data, tmp_path, monkeypatch
):
    env = {"DELIVERY_FS_DATA_DIR": str(built_data)}
    clean = _applied("sqlite", tmp_path / "clean", env, {})
    store = _applied("sqlite", tmp_path / "interrupted", env, {}, online_write_batch_size=100)
    end = data_horizon(built_data / "features").to_pydatetime()
    view = ["user_order_stats"]
    _load(clean, end, view)
    encode, calls = batch_engine.encode_rows, []

    def failing_encode(*args):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("the offline read broke")
        return encode(*args)

    monkeypatch.setattr(batch_engine, "encode_rows", failing_encode)
    with pytest.raises(OSError, match="offline read broke"):
        _load(store, end, view)
    assert len(calls) == 3  # two batches were written before the failure
    assert _sqlite_contents(store)["user_order_stats"] == []
    index = f"{store.config.project}_user_order_stats_ek"
    connection = sqlite3.connect(store.config.online_store.path)
    assert connection.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (index,)).fetchall()
    monkeypatch.setattr(batch_engine, "encode_rows", encode)
    _load(store, end, view)
    expected = _sqlite_contents(clean)["user_order_stats"]
    assert len(expected) > 200
    assert _sqlite_contents(store)["user_order_stats"] == expected


def _view() -> FeatureView:
    user = Entity(name="user", join_keys=["user_id"], value_type=ValueType.INT64)
    source = FileSource(path="unused.parquet", timestamp_field="event_timestamp")
    return FeatureView(
        name="rule", entities=[user], source=source,
        schema=[Field(name="user_id", dtype=Int64), Field(name="x", dtype=Float64), Field(name="s", dtype=String)],
    )  # fmt: skip


def _batch(rows: list[tuple[int, float, str, int]]) -> pa.RecordBatch:
    users, xs, ss, seconds = zip(*rows, strict=True)
    micros = [s * 1_000_000 + 250 for s in seconds]
    return pa.RecordBatch.from_pydict({
        "user_id": pa.array(users), "x": pa.array(xs), "s": pa.array(ss),
        "event_timestamp": pa.array(micros, pa.timestamp("us", tz="UTC")),
    })  # fmt: skip


def test_redis_bulk_load_keeps_feasts_newer_row_rule(redis_server, tmp_path):
    """The same batches through the bulk writer and through Feast's own Redis store, compared."""
    batches = [
        _batch([(1, 1.0, "a", 100), (2, 2.0, "b", 100)]),
        _batch([(1, 9.0, "older", 50), (2, 9.0, "same time", 100), (3, 3.0, "new", 200)]),
        _batch([(3, 4.0, "newer", 300), (3, 5.0, "older in one batch", 250), (1, 6.0, "c", 101)]),
    ]
    view, client = _view(), redis_server.client()
    contents = {}
    for kind in ("ours", "stock"):
        config = RepoConfig(
            project=f"rule_{kind}", provider="local", registry=str(tmp_path / "registry.db"),
            online_store={"type": "redis" if kind == "stock" else "feature_repo.online.redis.BulkRedisOnlineStore",
                          "connection_string": redis_server.endpoint},
            entity_key_serialization_version=3,
        )  # fmt: skip
        keys = {"user_id": ValueType.INT64}
        if kind == "ours":
            store = BulkRedisOnlineStore()
            with store.bulk_load(config, view) as writer:
                for batch in batches:
                    writer.write(writer.prepare(encode_rows(batch, view, keys, 3)))
        else:
            store = config.online_store  # noqa: F841 - the class below is Feast's
            from feast.infra.online_stores.redis import RedisOnlineStore

            for batch in batches:
                RedisOnlineStore().online_write_batch(
                    config, view, arrow_to_online_rows(batch, view, keys), None
                )
        contents[kind] = _redis_contents(client, config.project)
    assert len(contents["ours"]) == 3
    assert contents["ours"] == contents["stock"]


def _tables(store) -> dict[str, tuple[str, list, list]]:
    """Each view table's ``CREATE`` statement, columns (name, type, key position) and index
    names, without the project."""
    connection = sqlite3.connect(store.config.online_store.path)
    prefix = f"{store.config.project}_"
    result = {}
    for name, sql in connection.execute("SELECT name, sql FROM sqlite_master WHERE type='table'"):
        if name.startswith(prefix):
            columns = [  # NOT NULL left out: a WITHOUT ROWID key's columns always refuse NULL
                (cid, column, kind, default, key)
                for cid, column, kind, _, default, key in connection.execute(
                    f'PRAGMA table_info("{name}")'
                )
            ]
            indexes = sorted(
                row[1].replace(prefix, "", 1)
                for row in connection.execute(f'PRAGMA index_list("{name}")')
                if row[3] == "c"  # created by a statement, not the key's own
            )
            result[name.removeprefix(prefix)] = (sql.replace(prefix, "", 1), columns, indexes)
    return result


def _plan(store, view: str) -> str:
    connection = sqlite3.connect(store.config.online_store.path)
    table = f'"{store.config.project}_{view}"'
    rows = connection.execute(
        f"EXPLAIN QUERY PLAN SELECT feature_name, value FROM {table} WHERE entity_key IN (?)",
        (b"k",),
    ).fetchall()
    return " ".join(row[-1] for row in rows)


def test_sqlite_views_are_stored_in_key_order_and_stock_feast_reads_them_alike(
    built_data, tmp_path
):
    env = {"DELIVERY_FS_DATA_DIR": str(built_data)}
    ours = _applied("sqlite", tmp_path / "ours", env, {})
    stock = _applied("sqlite", tmp_path / "stock", env, {}, stock=True)
    mine, theirs = _tables(ours), _tables(stock)
    assert set(mine) == set(theirs) and len(mine) >= 3
    for name, (sql, columns, indexes) in theirs.items():
        assert mine[name][0].endswith(" WITHOUT ROWID") and "WITHOUT ROWID" not in sql
        assert mine[name][1:] == (columns, indexes)
        assert "PRIMARY KEY" in _plan(ours, name) and "PRIMARY KEY" not in _plan(stock, name)
    end = data_horizon(built_data / "features").to_pydatetime()
    for store in (ours, stock):
        _load(store, end, ["user_order_stats", "user_profile"])
    version = ours.config.entity_key_serialization_version
    for view_name in ("user_order_stats", "user_profile"):
        view = stock.get_feature_view(view_name)
        table = f'"{stock.config.project}_{view_name}"'
        stored = sqlite3.connect(stock.config.online_store.path).execute(
            f"SELECT DISTINCT entity_key FROM {table} ORDER BY entity_key LIMIT 60"
        )
        keys = [deserialize_entity_key(key, version) for (key,) in stored]
        assert len(keys) == 60
        from_ours = SqliteOnlineStore().online_read(
            ours.config, ours.get_feature_view(view_name), keys
        )
        from_stock = SqliteOnlineStore().online_read(stock.config, view, keys)
        assert all(values for _, values in from_stock) and from_ours == from_stock


def test_sqlite_table_that_holds_rows_keeps_its_layout_when_applied_again(built_data, tmp_path):
    env = {"DELIVERY_FS_DATA_DIR": str(built_data)}
    stock = _applied("sqlite", tmp_path / "store", env, {}, stock=True)
    _load(stock, data_horizon(built_data / "features").to_pydatetime(), ["user_profile"])
    before_tables, before_rows = _tables(stock), _sqlite_contents(stock)
    config = tmp_path / "store" / "feature_store.sqlite.yaml"
    document = yaml.safe_load(config.read_text())
    document["online_store"]["type"] = "feature_repo.online.sqlite.BulkSqliteOnlineStore"
    config.write_text(yaml.safe_dump(document))
    for _ in range(2):  # ours applied on stock's store, then again
        run_cli("feast", "-f", str(config), "apply", env=env)
        after = _tables(stock)
        assert after["user_profile"] == before_tables["user_profile"]  # it holds rows: kept
        assert after["user_order_stats"][0].endswith("WITHOUT ROWID")  # empty: in key order
        assert _sqlite_contents(stock)["user_profile"] == before_rows["user_profile"]
    assert len(before_rows["user_profile"]) > 100
