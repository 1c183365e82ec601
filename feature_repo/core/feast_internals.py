"""Feast's and ibis's internals that the project relies on, reached here and nowhere else.

Each function below calls one private (underscored) name of Feast or ibis, or one class that Feast
builds only for itself, and its docstring says why the public API does not serve. The project's
classes also override a few of Feast's underscored hooks (``OVERRIDDEN_HOOKS``): a subclass has
to name them, so they are listed here. ``tests/test_feast_internals.py`` pins the signature of every
one of them (``PINNED``) and the byte layouts they produce (entity key, Redis hash field, SQLite
row, DynamoDB item) against the installed Feast, so an upgrade that moves one fails in that test,
by name, and not in production.

Names that were private once and have a public way now are not here: ``FeatureStore.provider``
(a documented property) replaces ``store._get_provider()``, and ibis's ``Table.get_backend()``
replaces ``Table._find_backend()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from feast.infra.online_stores.helpers import _mmh3, _redis_key
from feast.utils import _convert_arrow_to_proto, _get_feature_views_to_use

# Every internal reached below or overridden by a project class: what the pinning test checks.
PINNED = (
    "feast.infra.online_stores.helpers._mmh3",
    "feast.infra.online_stores.helpers._redis_key",
    "feast.utils._convert_arrow_to_proto",
    "feast.utils._get_feature_views_to_use",
    "feast.infra.online_stores.dynamodb._latest_data_to_write",
    "feast.infra.online_stores.dynamodb.DynamoDBOnlineStore._get_dynamodb_client",
    "feast.infra.online_stores.dynamodb.DynamoDBOnlineStore._write_batch_non_duplicates",
    "feast.infra.online_stores.redis.RedisOnlineStore._get_client",
    "feast.infra.online_stores.sqlite.SqliteOnlineStore._get_conn",
    "feast.infra.online_stores.sqlite.SqliteOnlineStore._get_db_path",
    "feast.infra.offline_stores.duckdb._read_data_source",
    "feast.infra.offline_stores.duckdb._write_data_source",
    "feast.infra.offline_stores.ibis.IbisRetrievalJob.__init__",
    "feast.infra.offline_stores.ibis.IbisRetrievalJob._to_arrow_internal",
    "feast.infra.compute_engines.local.feature_builder.LocalFeatureBuilder.__init__",
    "feast.infra.compute_engines.local.feature_builder.LocalFeatureBuilder.get_column_info",
    "feast.infra.compute_engines.local.compute.LocalComputeEngine._materialize_one",
    "ibis.backends.duckdb.Backend._run_pre_execute_hooks",
)

# Feast's underscored hooks that a project class overrides (the override has to carry the name).
OVERRIDDEN_HOOKS = {
    "_materialize_one": "online/batch_engine.py: the streaming engine takes plain feature views "
    "over; Feast's local engine has no public per-view step to extend",
    "_to_arrow_internal": "offline/duckdb_store.py: a RetrievalJob's documented extension point "
    "(every custom offline store implements it), underscored by Feast",
    "_write_batch_non_duplicates": "online/dynamodb.py: the one place that sees a view's batch "
    "before Feast's batch writer sends it; the public online_write_batch also opens the table",
}


def redis_hash_field(name: str) -> bytes:
    """Feast's Redis hash field of ``"view:feature"`` (4 bytes, murmur3 32 little-endian).

    No public function names the field; computing it with ``mmh3`` ourselves would drift silently
    if Feast changed its layout, where this call fails the pinning test."""
    return _mmh3(name)


def redis_key(project: str, entity_key: Any, version: int) -> bytes:
    """Feast's Redis key of an entity: the serialized entity key, then the project's name.

    Feast builds it only inside its Redis store; the benchmark's raw baselines need the same key."""
    return _redis_key(project, entity_key, entity_key_serialization_version=version)


def arrow_to_online_rows(table: Any, view: Any, join_keys: dict) -> list[tuple]:
    """An Arrow table or batch converted into the rows ``online_write_batch`` takes, as Feast's
    own materialization converts them.

    The public ``FeatureStore.write_to_online_store`` takes a whole pandas DataFrame and resolves
    the view again on every call; the streaming engine has Arrow batches of a view in hand."""
    return _convert_arrow_to_proto(table, view, join_keys)


def feature_views_to_use(registry: Any, project: str, refs: list[str]) -> tuple[list, list]:
    """The feature views and on-demand views that ``get_online_features`` reads for ``refs``
    (projections and pinned ``view@vN`` versions resolved as Feast resolves them), from the
    cached registry.

    Feast offers no public call that resolves references without also reading the store."""
    return _get_feature_views_to_use(registry, project, refs, allow_cache=True)


def latest_row_per_entity(rows: list[tuple]) -> Iterator[tuple]:
    """Of ``online_write_batch`` rows, each entity key's latest one (Feast's DynamoDB rule).

    Feast applies this rule only in its asynchronous DynamoDB writer, with no public name."""
    from feast.infra.online_stores.dynamodb import _latest_data_to_write  # the aws extra

    return _latest_data_to_write(rows)


def write_dynamodb_items(online_store: Any, table: Any, rows: list, config: Any) -> None:
    """Feast's DynamoDB store writing ``rows`` as its items through ``table``'s batch writer.

    The public ``online_write_batch`` opens the table itself and hands every row on; the project
    class sends only each entity's latest row, so it calls the step after the table is open."""
    from feast.infra.online_stores.dynamodb import DynamoDBOnlineStore  # the aws extra

    DynamoDBOnlineStore._write_batch_non_duplicates(online_store, table, rows, None, config)


def dynamodb_client(online_store: Any, online_config: Any) -> Any:
    """The boto3 DynamoDB client that Feast's store uses (its region, endpoint and session).

    Feast builds and caches it privately; the lean reader sends ``BatchGetItem`` through it so
    that both read with the same credentials, endpoint and connection pool."""
    return online_store._get_dynamodb_client(
        online_config.region, online_config.endpoint_url, online_config.session_based_auth
    )


def redis_client(online_store: Any, online_config: Any) -> Any:
    """The redis-py client (plain, cluster or sentinel) that Feast's Redis store builds from its
    connection string; Feast exposes no public accessor, and parsing the string ourselves would
    miss its options (password, ssl, db)."""
    return online_store._get_client(online_config)


def sqlite_connection(online_store: Any, config: Any) -> Any:
    """The sqlite3 connection Feast's SQLite store writes through (its path, its registered
    datetime adapters, its extensions), which Feast keeps private."""
    return online_store._get_conn(config)


def sqlite_db_path(config: Any) -> str:
    """The SQLite online store's file as Feast resolves it (relative to the repository); the
    read-only reader opens that file, and Feast has no public function naming it."""
    from feast.infra.online_stores.sqlite import SqliteOnlineStore

    return SqliteOnlineStore._get_db_path(config)


def duckdb_read_source(data_source: Any, repo_path: str) -> Any:
    """Feast's DuckDB store's reader of one source as an ibis table (Parquet, Delta, Iceberg and
    the rest); the store passes it to its ibis functions, and it has no public name."""
    from feast.infra.offline_stores.duckdb import _read_data_source

    return _read_data_source(data_source, repo_path)


def duckdb_write_source(
    table: Any,
    data_source: Any,
    repo_path: str,
    mode: str = "append",
    allow_overwrite: bool = False,
) -> None:
    """Feast's DuckDB store's writer of an Arrow table into a source (``persist``, offline
    writes): what its public store hands to ibis's retrieval jobs, under a private name."""
    from feast.infra.offline_stores.duckdb import _write_data_source

    _write_data_source(table, data_source, repo_path, mode=mode, allow_overwrite=allow_overwrite)


def prepared_backend(table: Any) -> Any:
    """``table``'s ibis backend with the in-memory tables it reads registered, ready for its SQL to
    run on the DuckDB connection directly.

    ibis's public ``to_pyarrow_batches`` calls a cursor method that DuckDB 2 no longer has, and
    ``_run_pre_execute_hooks`` is the step that registers the memtables before any execution."""
    backend = table.get_backend()
    backend._run_pre_execute_hooks(table)
    return backend


def column_info(registry: Any, task: Any, view: Any) -> Any:
    """The columns (join keys, features, timestamps, field mapping) Feast's local engine reads
    for ``task``'s view, as its feature builder computes them.

    Only the engine's builder computes ``ColumnInfo``; it is built here without a DataFrame
    backend, which ``get_column_info`` does not use."""
    from feast.infra.compute_engines.local.feature_builder import LocalFeatureBuilder

    return LocalFeatureBuilder(registry, task, backend=None).get_column_info(view)
