"""Reading query results out of DuckDB with bounded memory: Arrow record batches streamed from the
connection, DuckDB's ``memory_limit`` held for a query, and DuckDB's buffers handed back after one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import ibis
import pyarrow as pa

from feature_repo.core.feast_internals import prepared_backend

BATCH_ROWS = 65_536
RELEASE_MEMORY_LIMIT = "64MB"  # set for a moment after a query: DuckDB hands its buffers back


def arrow_reader(table: ibis.Table, rows: int = BATCH_ROWS) -> pa.RecordBatchReader:
    """The rows of ``table`` streamed from DuckDB in Arrow batches of at most ``rows`` (ibis's own
    ``to_pyarrow_batches`` calls a cursor method that DuckDB 2 no longer has)."""
    backend = prepared_backend(table)  # in-memory tables registered
    return backend.con.sql(backend.compile(table)).to_arrow_reader(rows)


@contextmanager
def duckdb_memory(connection, limit: str | None) -> Iterator[None]:
    """DuckDB's ``memory_limit`` set to ``limit`` for a query; afterwards, DuckDB's buffers are
    released (``release_buffers``) and the connection's own limit is restored."""
    if limit is None:
        yield
        return
    previous = _memory_limit(connection)
    connection.execute("RESET memory_limit")
    default = _memory_limit(connection) == previous  # restored exactly by RESET, not by its text
    connection.execute(f"SET memory_limit = '{limit}'")
    try:
        yield
    finally:
        _release_and_restore(connection, None if default else previous)


def release_buffers(connection) -> None:
    """DuckDB's memory handed back after a query (a moment at a small limit), the connection's
    limit unchanged: otherwise the buffers of one view's pull stay under the next one's."""
    previous = _memory_limit(connection)
    connection.execute("RESET memory_limit")
    default = _memory_limit(connection) == previous
    _release_and_restore(connection, None if default else previous)


def _release_and_restore(connection, previous: str | None) -> None:
    """``previous`` restored after a moment at ``RELEASE_MEMORY_LIMIT`` (None: DuckDB's default;
    otherwise as DuckDB showed it, a tenth of a GiB)."""
    connection.execute(f"SET memory_limit = '{RELEASE_MEMORY_LIMIT}'")
    if previous is None:
        connection.execute("RESET memory_limit")
    else:
        connection.execute(f"SET memory_limit = '{previous}'")


def _memory_limit(connection) -> str:
    return connection.execute("SELECT current_setting('memory_limit')").fetchone()[0]
