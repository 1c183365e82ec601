"""Where the repository keeps its data, whatever the process's working directory.

Feast's duckdb offline store resolves relative source paths against the working directory,
so every path handed to Feast is absolute. ``DELIVERY_FS_DATA_DIR`` moves the data: raw files,
feature tables, pushed orders, served-feature logs, trained models and reports, to a local
directory (the tests use one for an isolated store) or an S3 prefix (``s3://bucket/prefix``, the
``aws`` profile). It does not move the registry or the online store: the profile's
feature_store.yaml places those (the default's ``data/registry.db`` and ``data/online_store.db``,
relative to the repository), so two data directories used with one profile share them; select a
profile per data directory (``FEAST_FS_YAML_FILE_PATH``) to keep them apart. ``delivery-fs status``
prints all three locations. With S3, the pipeline works in a local working
copy (``DELIVERY_FS_WORK_DIR``, default ``data/s3/<bucket>/<prefix>``) and publishes to S3.
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR_ENV = "DELIVERY_FS_DATA_DIR"
WORK_DIR_ENV = "DELIVERY_FS_WORK_DIR"
S3_SCHEME = "s3://"


def data_location() -> str:
    """``$DELIVERY_FS_DATA_DIR`` (a directory or an ``s3://`` prefix) or ``<repository>/data``."""
    configured = os.environ.get(DATA_DIR_ENV)
    if configured and configured.startswith(S3_SCHEME):
        return configured.rstrip("/")
    return str(Path(configured).resolve() if configured else REPO_ROOT / "data")


def data_on_s3() -> bool:
    """Whether the data location is an S3 prefix."""
    return data_location().startswith(S3_SCHEME)


def data_dir() -> Path:
    """The local data directory: the data location itself, or the local working copy of an S3 one."""
    location = data_location()
    if not location.startswith(S3_SCHEME):
        return Path(location)
    configured = os.environ.get(WORK_DIR_ENV)
    return (
        Path(configured).resolve()
        if configured
        else REPO_ROOT / "data" / "s3" / location.removeprefix(S3_SCHEME)
    )


def raw_dir() -> Path:
    """Raw tutorial-format files: users and transactions, CSV and Parquet."""
    return data_dir() / "raw"


def features_dir() -> Path:
    """Feature tables read by the Feast sources (the local copy when the data is on S3)."""
    return data_dir() / "features"


def feature_table_path(table_name: str) -> Path:
    """The local Parquet file of one feature table."""
    return features_dir() / f"{table_name}.parquet"


def feature_table_location(table_name: str) -> str:
    """Where the Feast sources read one feature table: an absolute path or an ``s3://`` URL."""
    if data_on_s3():
        return f"{data_location()}/features/{table_name}.parquet"
    return str(feature_table_path(table_name))


def s3_endpoint_override() -> str | None:
    """A non-AWS S3 endpoint (a local stand-in), from the standard ``AWS_ENDPOINT_URL_S3``.

    Feast builds pyarrow's S3 filesystem itself for ``s3://`` sources and only honours the
    source's ``s3_endpoint_override``, not the environment.
    """
    return os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL") or None
