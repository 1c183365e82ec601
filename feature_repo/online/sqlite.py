"""The SQLite online store with bulk writes: Feast's table layout, one ``executemany`` per view in
one transaction.

Feast 0.67's ``SqliteOnlineStore.online_write_batch`` runs one ``INSERT`` per entity and feature
(323,700 calls for ``user_order_stats`` at x1). This subclass writes the same rows, in the same
columns and with the same values (serialized ``ValueProto``, ``value_text``, event and created
times as Unix seconds, which is what Feast's registered datetime adapter stores), through one
``executemany`` fed by a generator, inside one transaction: a load interrupted midway leaves the
table as it was, and a rerun writes it whole. Stock Feast reads the result unchanged.

A view's table is created by Feast's own statement, then, while it is still empty, made again from
that statement with ``WITHOUT ROWID``: the rows are stored in the order of Feast's primary key
``(entity_key, feature_name)``, so a user's rows of a view sit together in one or two pages and a
lookup reads them with one descent of one B-tree, instead of an index descent and one row fetch
per feature (each a descent of the table's B-tree, one level deeper at x100). The columns, key,
index and values are Feast's (the key's two columns refuse NULL, which Feast never writes); stock
Feast reads and writes the table unchanged. A table that already holds rows (made by stock Feast or
before this layout) is left as it is.

    online_store:
      type: feature_repo.online.sqlite.BulkSqliteOnlineStore
      path: data/online_store.db
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from itertools import chain, islice, repeat
from typing import Any, Literal

from feast import Entity, FeatureView, RepoConfig
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.infra.online_stores.helpers import compute_table_id, extract_text_and_num
from feast.infra.online_stores.sqlite import SqliteOnlineStore, SqliteOnlineStoreConfig
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from feast.utils import to_naive_utc

from feature_repo.core.feast_internals import sqlite_connection
from feature_repo.online.encoded_rows import BulkWriter, EncodedRows
from feature_repo.online.errors import RERUN_HINT, OnlineStoreUnavailableError

SQLITE_TYPE = "feature_repo.online.sqlite.BulkSqliteOnlineStore"
Row = tuple[EntityKeyProto, dict[str, ValueProto], datetime, datetime | None]
LOAD_CACHE_KIB = 131_072  # page cache while a view loads (SQLite's default is 2 MiB)
STATEMENT_ROWS = 500  # rows per INSERT of a bulk load (one statement runs faster than 500)


class BulkSqliteOnlineStoreConfig(SqliteOnlineStoreConfig):
    """Feast's SQLite settings (``path``), selected by this module's class."""

    type: Literal["feature_repo.online.sqlite.BulkSqliteOnlineStore"] = SQLITE_TYPE  # type: ignore[assignment]


class BulkSqliteOnlineStore(SqliteOnlineStore):
    """Feast's SQLite online store whose batch write is one ``executemany`` in one transaction."""

    loads_in_key_order = True  # the streaming engine sorts a load by serialized entity key

    def online_write_batch(
        self,
        config: RepoConfig,
        table: FeatureView,
        data: Sequence[Row],
        progress: Callable[[int], Any] | None,
    ) -> None:
        if not self.can_bulk_load(config):
            return super().online_write_batch(config, table, data, progress)  # other columns
        connection = sqlite_connection(self, config)
        with connection:  # one transaction: all rows of the batch, or none
            connection.executemany(
                _upsert(config, table), _feature_rows(data, config.entity_key_serialization_version)
            )
        if progress:
            progress(len(data))

    def update(
        self,
        config: RepoConfig,
        tables_to_delete: Sequence[FeatureView],
        tables_to_keep: Sequence[FeatureView],
        entities_to_delete: Sequence[Entity],
        entities_to_keep: Sequence[Entity],
        partial: bool,
    ) -> None:
        """Feast's tables, each one still empty stored in its primary key's order."""
        super().update(
            config, tables_to_delete, tables_to_keep, entities_to_delete, entities_to_keep, partial
        )
        if not self.can_bulk_load(config):
            return  # vector and text-search stores keep Feast's layout as it is
        connection = sqlite_connection(self, config)
        with connection:
            if not connection.in_transaction:
                connection.execute("BEGIN")  # the tables' DDL too: all made again, or none
            for table in tables_to_keep:
                _cluster_by_primary_key_if_empty(connection, _table_name(config, table))

    def can_bulk_load(self, config: RepoConfig) -> bool:
        """Whether the table holds only Feast's plain columns (no vector or text-search store)."""
        online = config.online_store
        return not (
            online.vector_enabled or getattr(online, "enable_openai_compatible_store", False)
        )

    @contextmanager
    def bulk_load(self, config: RepoConfig, table: FeatureView):
        """A writer of encoded batches of ``table``, all committed together when the block ends
        (rolled back if it raises); rows go in multi-row statements of ``STATEMENT_ROWS``."""
        connection = sqlite_connection(self, config)
        statement_rows = min(
            STATEMENT_ROWS, connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // 6
        )
        upserts = {}

        def prepare(rows: EncodedRows) -> list[tuple[str, list]]:
            statements, values = [], _encoded_feature_rows(rows)
            while chunk := list(islice(values, statement_rows)):
                if len(chunk) not in upserts:
                    upserts[len(chunk)] = _upsert(config, table, len(chunk))
                statements.append((upserts[len(chunk)], list(chain.from_iterable(chunk))))
            return statements

        def write(statements: list[tuple[str, list]]) -> None:
            for statement, parameters in statements:
                connection.execute(statement, parameters)

        (cache,) = connection.execute("PRAGMA cache_size").fetchone()
        connection.execute(f"PRAGMA cache_size = -{LOAD_CACHE_KIB}")
        try:
            with connection:
                connection.execute("BEGIN")  # the index's removal is part of the transaction
                with _secondary_indexes_rebuilt(connection, _table_name(config, table)):
                    yield BulkWriter(prepare, write)
        finally:
            connection.execute(f"PRAGMA cache_size = {cache}")


def _cluster_by_primary_key_if_empty(connection: sqlite3.Connection, table: str) -> None:
    """``table`` made again from its own ``CREATE`` statement with ``WITHOUT ROWID`` (and its
    indexes from theirs), if it has no row yet and is not so already; in the caller's
    transaction."""
    (statement,) = connection.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ).fetchone()
    if statement.rstrip().upper().endswith("WITHOUT ROWID"):
        return
    if connection.execute(f"SELECT 1 FROM {_quoted(table)} LIMIT 1").fetchone():
        return
    indexes = _created_indexes(connection, table)
    connection.execute(f"DROP TABLE {_quoted(table)}")
    connection.execute(f"{statement} WITHOUT ROWID")
    for _, index in indexes:
        connection.execute(index)


def _created_indexes(connection: sqlite3.Connection, table: str) -> list[tuple[str, str]]:
    """The name and ``CREATE INDEX`` statement of each index made on ``table`` by a statement
    (Feast's ``<table>_ek``), not SQLite's own index of the primary key."""
    return connection.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
        "AND sql IS NOT NULL",
        (table,),
    ).fetchall()


@contextmanager
def _secondary_indexes_rebuilt(connection: sqlite3.Connection, table: str):
    """The table's own indexes (Feast's ``<table>_ek``) dropped while the block writes and created
    again from their stored SQL at its end: building an index once is cheaper than updating it
    for every row. Inside the caller's transaction, so a failed load leaves them as they were."""
    indexes = _created_indexes(connection, table)
    for name, _ in indexes:
        connection.execute(f"DROP INDEX {_quoted(name)}")
    yield
    for _, sql in indexes:
        connection.execute(sql)


def _table_name(config: RepoConfig, table: FeatureView) -> str:
    return compute_table_id(
        config.project, table, config.registry.enable_online_feature_view_versioning
    )


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _upsert(config: RepoConfig, table: FeatureView, rows: int = 1) -> str:
    """Feast's upsert of ``rows`` rows into the view's table."""
    return (
        f"INSERT INTO {_quoted(_table_name(config, table))} (entity_key, feature_name, value, value_text, event_ts, created_ts) "
        f"VALUES {', '.join(['(?, ?, ?, ?, ?, ?)'] * rows)} ON CONFLICT(entity_key, feature_name) "
        "DO UPDATE SET value = excluded.value, value_text = excluded.value_text, "
        "event_ts = excluded.event_ts, created_ts = excluded.created_ts"
    )


def _encoded_feature_rows(rows: EncodedRows) -> Iterator[tuple]:
    """One row per entity and feature, entity by entity in key order."""
    order = sorted(range(len(rows)), key=rows.entity_keys.__getitem__)
    names = list(rows.features)
    values = [[column.serialized[i] for i in order] for column in rows.features.values()]
    texts = [[column.texts[i] for i in order] for column in rows.features.values()]
    for key, event, created, row_values, row_texts in zip(
        [rows.entity_keys[i] for i in order],
        [sqlite_seconds(rows.event_times[i]) for i in order],
        [None if c is None else sqlite_seconds(c) for c in (rows.created_times[i] for i in order)],
        zip(*values, strict=True),
        zip(*texts, strict=True),
        strict=True,
    ):
        yield from zip(repeat(key), names, row_values, row_texts, repeat(event), repeat(created))


def _feature_rows(data: Sequence[Row], version: int) -> Iterator[tuple]:
    """One row per entity and feature, as Feast's store writes it."""
    for entity_key, values, event_time, created in data:
        key = serialize_entity_key(entity_key, entity_key_serialization_version=version)
        event_seconds = sqlite_seconds(event_time)
        created_seconds = None if created is None else sqlite_seconds(created)
        for feature, value in values.items():
            text, _ = extract_text_and_num(value, False)
            yield key, feature, value.SerializeToString(), text, event_seconds, created_seconds


def sqlite_seconds(instant: datetime) -> int:
    """What Feast's registered sqlite3 datetime adapter stores: ``int(naive_utc.timestamp())``."""
    return int(to_naive_utc(instant).timestamp())


@contextmanager
def sqlite_errors(online_config, hint: str = RERUN_HINT):
    try:
        yield
    except sqlite3.OperationalError as error:
        raise OnlineStoreUnavailableError(
            f"SQLite online store at {online_config.path} cannot be used: {error}. Check that the "
            f"file's directory exists and that `feast apply` has created its tables. {hint}"
        ) from error
