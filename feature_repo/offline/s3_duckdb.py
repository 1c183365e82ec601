"""Feast's DuckDB offline store, reading ``s3://`` feature tables through s3fs.

Feast 0.67's duckdb store reads Parquet with ``ibis.read_parquet``, which loads DuckDB's httpfs
extension for any ``s3://`` path; the extension is downloaded at run time and so fails where the
network is closed (and with S3 stand-ins needs endpoint settings of its own). This store registers
an s3fs filesystem (standard AWS credential chain, ``AWS_ENDPOINT_URL_S3``) with the DuckDB
connection that ibis uses and reads ``s3://`` sources with DuckDB's own ``read_parquet`` through it.
Everything else (point-in-time joins, TTL, local paths) is Feast's DuckDB store unchanged, so no
entity row is dropped (unlike the ``file``/dask store).

Select it in a feature_store.yaml with
``offline_store: {type: feature_repo.offline.s3_duckdb.S3DuckDBOfflineStore}``.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import ibis
import pandas as pd
from feast.data_source import DataSource
from feast.infra.offline_stores import duckdb as feast_duckdb
from feast.infra.offline_stores.duckdb import DuckDBOfflineStore, DuckDBOfflineStoreConfig
from feast.infra.offline_stores.ibis import (
    get_historical_features_ibis,
    pull_all_from_table_or_query_ibis,
    pull_latest_from_table_or_query_ibis,
)
from feast.infra.offline_stores.offline_store import RetrievalJob
from feast.repo_config import RepoConfig
from pydantic import StrictStr

from feature_repo.storage.s3 import S3Location, s3_errors, s3_filesystem

_registered_connections: set[int] = set()


class S3DuckDBOfflineStoreConfig(DuckDBOfflineStoreConfig):
    type: StrictStr = "feature_repo.offline.s3_duckdb.S3DuckDBOfflineStore"


def _connection():
    """The DuckDB connection behind ibis's default backend, with s3fs registered once."""
    backend = ibis.get_backend()
    if id(backend.con) not in _registered_connections:
        backend.con.register_filesystem(s3_filesystem())
        _registered_connections.add(id(backend.con))
    return backend


def read_source(data_source: DataSource, repo_path: str) -> ibis.Table:
    """Feast's reader, except that ``s3://`` Parquet goes through s3fs instead of httpfs."""
    path = getattr(data_source, "path", "") or ""
    if not path.startswith("s3://"):
        return feast_duckdb._read_data_source(data_source, repo_path)
    backend = _connection()
    view = f"s3_source_{uuid.uuid4().hex}"
    quoted = path.replace("'", "''")
    with s3_errors(S3Location.from_url(path)):
        backend.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet('{quoted}')"
        )
    return backend.table(view)


def _with_s3_reader(arguments: dict) -> dict:
    """The arguments of an offline store call, plus Feast's DuckDB reading options with our reader."""
    config = arguments["config"]
    return {
        **arguments,
        "data_source_reader": read_source,
        "data_source_writer": feast_duckdb._write_data_source,
        "staging_location": config.offline_store.staging_location,
        "staging_location_endpoint_override": config.offline_store.staging_location_endpoint_override,
    }


class S3DuckDBOfflineStore(DuckDBOfflineStore):
    """DuckDBOfflineStore whose source reader handles ``s3://`` through s3fs."""

    @staticmethod
    def pull_latest_from_table_or_query(
        config: RepoConfig,
        data_source: DataSource,
        join_key_columns: list[str],
        feature_name_columns: list[str],
        timestamp_field: str,
        created_timestamp_column: str | None,
        start_date: datetime,
        end_date: datetime,
    ) -> RetrievalJob:
        return pull_latest_from_table_or_query_ibis(**_with_s3_reader(locals()))

    @staticmethod
    def get_historical_features(
        config: RepoConfig,
        feature_views: list,
        feature_refs: list[str],
        entity_df: pd.DataFrame | str,
        registry,
        project: str,
        full_feature_names: bool = False,
        filter_by_created_timestamp: bool = False,
    ) -> RetrievalJob:
        return get_historical_features_ibis(**_with_s3_reader(locals()))

    @staticmethod
    def pull_all_from_table_or_query(
        config: RepoConfig,
        data_source: DataSource,
        join_key_columns: list[str],
        feature_name_columns: list[str],
        timestamp_field: str,
        created_timestamp_column: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> RetrievalJob:
        return pull_all_from_table_or_query_ibis(**_with_s3_reader(locals()))
