"""Where the repository keeps its data, whatever the process's working directory.

Feast's duckdb offline store resolves relative source paths against the working directory,
so every path handed to Feast is absolute. ``DELIVERY_FS_DATA_DIR`` moves the whole data
directory (the tests use it for an isolated store).
"""

from __future__ import annotations

import os
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DATA_DIR_ENV = "DELIVERY_FS_DATA_DIR"


def data_dir() -> Path:
    """The data directory: ``$DELIVERY_FS_DATA_DIR`` or ``<repository>/data``."""
    configured = os.environ.get(DATA_DIR_ENV)
    return Path(configured).resolve() if configured else REPO_ROOT / "data"


def raw_dir() -> Path:
    """Raw tutorial-format files: users and transactions, CSV and Parquet."""
    return data_dir() / "raw"


def features_dir() -> Path:
    """Feature tables read by the Feast sources."""
    return data_dir() / "features"


def feature_table_path(table_name: str) -> Path:
    """The Parquet file of one feature table."""
    return features_dir() / f"{table_name}.parquet"
