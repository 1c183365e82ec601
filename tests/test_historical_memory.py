"""DuckDB's memory limit while the offline store joins a training frame, and after it."""

from __future__ import annotations

import duckdb

from feature_repo.offline.duckdb_store import (
    HISTORICAL_MEMORY_LIMIT,
    DeliveryDuckDBOfflineStoreConfig,
    _duckdb_memory,
)


def _limit(connection) -> str:
    return connection.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def _as_set(connection, text: str) -> str:
    """What DuckDB reports after ``SET memory_limit = text`` (its own rendering of the size)."""
    probe = duckdb.connect()
    probe.execute(f"SET memory_limit = '{text}'")
    return _limit(probe)


def test_the_limit_holds_during_the_query_and_the_previous_one_comes_back():
    connection = duckdb.connect()
    connection.execute("SET memory_limit = '3GiB'")
    before = _limit(connection)
    with _duckdb_memory(connection, "1GB"):
        assert _limit(connection) == _as_set(connection, "1GB")
        assert connection.execute("SELECT sum(range) FROM range(1000)").fetchone()[0] == 499_500
    assert _limit(connection) == before == _as_set(connection, "3GiB")


def test_duckdbs_default_limit_comes_back_as_the_default():
    connection = duckdb.connect()
    default = _limit(connection)
    with _duckdb_memory(connection, "1GB"):
        assert _limit(connection) == _as_set(connection, "1GB") != default
    assert _limit(connection) == default == _limit(duckdb.connect())


def test_no_limit_leaves_the_connection_alone():
    connection = duckdb.connect()
    before = _limit(connection)
    with _duckdb_memory(connection, None):
        assert _limit(connection) == before
    assert _limit(connection) == before


def test_the_store_config_holds_a_limit_by_default_and_accepts_none():
    assert DeliveryDuckDBOfflineStoreConfig().historical_memory_limit == HISTORICAL_MEMORY_LIMIT
    assert (
        DeliveryDuckDBOfflineStoreConfig(historical_memory_limit=None).historical_memory_limit
        is None
    )


def test_releasing_duckdbs_buffers_after_a_pull_keeps_the_connections_limit():
    from feature_repo.offline.duckdb_results import release_buffers

    default = duckdb.connect()
    release_buffers(default)
    assert _limit(default) == _limit(duckdb.connect())
    limited = duckdb.connect()
    limited.execute("SET memory_limit = '3GiB'")
    release_buffers(limited)
    assert _limit(limited) == _as_set(limited, "3GiB")
