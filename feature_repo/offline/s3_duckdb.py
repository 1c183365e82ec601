"""Feast's DuckDB offline store, reading ``s3://`` feature tables through s3fs.

Feast 0.67's duckdb store reads Parquet with ``ibis.read_parquet``, which loads DuckDB's httpfs
extension for any ``s3://`` path; the extension is downloaded at run time and so fails where the
network is closed (and with S3 stand-ins needs endpoint settings of its own). This store registers
an s3fs filesystem (standard AWS credential chain, ``AWS_ENDPOINT_URL_S3``) with the DuckDB
connection that ibis uses and reads ``s3://`` sources with DuckDB's own ``read_parquet`` through it.
Everything else is the project's DuckDB store (``duckdb_store``: Feast's point-in-time joins and
TTL, normalized entity frames, vectorised on-demand views, the latest-row pull in DuckDB), so no
entity row is dropped (unlike the ``file``/dask store).

Select it in a feature_store.yaml with
``offline_store: {type: feature_repo.offline.s3_duckdb.S3DuckDBOfflineStore}``.
"""

from __future__ import annotations

import uuid

import ibis
from feast.data_source import DataSource
from pydantic import StrictStr

from feature_repo.core.feast_internals import duckdb_read_source
from feature_repo.offline.duckdb_store import (
    DeliveryDuckDBOfflineStore,
    DeliveryDuckDBOfflineStoreConfig,
)
from feature_repo.storage.s3 import S3Location, s3_errors, s3_filesystem

_registered_connections: set[int] = set()


class S3DuckDBOfflineStoreConfig(DeliveryDuckDBOfflineStoreConfig):
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
        return duckdb_read_source(data_source, repo_path)
    backend = _connection()
    view = f"s3_source_{uuid.uuid4().hex}"
    quoted = path.replace("'", "''")
    with s3_errors(S3Location.from_url(path)):
        backend.con.execute(
            f"CREATE OR REPLACE TEMP VIEW {view} AS SELECT * FROM read_parquet('{quoted}')"
        )
    return backend.table(view)


class S3DuckDBOfflineStore(DeliveryDuckDBOfflineStore):
    """The project's DuckDB store, whose source reader handles ``s3://`` through s3fs."""

    read_source = staticmethod(read_source)
