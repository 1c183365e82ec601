"""Publishing the pipeline's files to the data location when it is on S3 (the ``aws`` profile).

The pipeline computes in the local working copy (``feature_repo.core.paths.data_dir``) exactly as
without S3, then publishes: raw files under ``<location>/raw``, feature tables under
``<location>/features``, each set with its manifest last (see ``feature_repo.storage.s3``); each
pushed batch under ``<location>/raw/pushed_transactions`` as it is pushed, which a build on any
machine fetches first.
"""

from __future__ import annotations

import json
from pathlib import Path

from feature_repo.core import raw_format as tf
from feature_repo.core.paths import data_location, data_on_s3, features_dir, raw_dir
from feature_repo.core.tables import ALL_TABLES
from feature_repo.pipeline.build import MANIFEST_NAME as FEATURES_MANIFEST
from feature_repo.pipeline.pushed_orders import PUSHED_DIR, pushed_dir
from feature_repo.pipeline.write_raw import MANIFEST_NAME as RAW_MANIFEST

RAW_FILES = tuple(f"{t}.{ext}" for t in (tf.USERS, tf.TRANSACTIONS) for ext in ("csv", "parquet"))


def _location(part: str):
    from feature_repo.storage.s3 import S3Location

    return S3Location.from_url(f"{data_location()}/{part}")


def publish_raw() -> bool:
    """Raw files to S3, when the data location is there (``False``: not on S3 or already there)."""
    if not data_on_s3():
        return False
    from feature_repo.storage.s3 import publish_files

    return publish_files(raw_dir(), RAW_FILES, RAW_MANIFEST, _location("raw"))


def publish_pushed_batch(batch: Path, name: str) -> None:
    """A pushed batch file to ``<location>/raw/pushed_transactions/<name>`` when the data is on S3
    (one PUT: another machine's build sees the whole batch or none of it)."""
    if not data_on_s3():
        return
    from feature_repo.storage.s3 import upload_file

    upload_file(batch, _location(f"raw/{PUSHED_DIR}"), name)


def fetch_inputs() -> None:
    """Before a build on S3: the raw files when the working copy has none, and every pushed batch
    it lacks (pushed from another machine)."""
    fetch_raw_if_missing()
    if not data_on_s3():
        return
    from feature_repo.storage.s3 import download_files, list_names

    source = _location(f"raw/{PUSHED_DIR}")
    local = pushed_dir(raw_dir())
    have = {path.name for path in local.glob("batch-*.parquet")}
    missing = [n for n in list_names(source) if n.startswith("batch-") and n not in have]
    if missing:
        download_files(source, missing, local)


def fetch_raw_if_missing() -> None:
    """Bring the raw files from S3 into the working copy when it has none (another machine built them)."""
    if not data_on_s3() or (raw_dir() / RAW_MANIFEST).exists():
        return
    from feature_repo.storage.s3 import download_files

    download_files(_location("raw"), [*RAW_FILES, RAW_MANIFEST], raw_dir())


def publish_features() -> bool:
    """Feature tables to S3, when the data location is there."""
    if not data_on_s3():
        return False
    from feature_repo.storage.s3 import publish_files

    names = [table.file_name for table in ALL_TABLES]
    return publish_files(features_dir(), names, FEATURES_MANIFEST, _location("features"))


def published_features_manifest() -> dict | None:
    """The feature manifest readers go by: S3's when the data is there (``None`` if absent)."""
    from feature_repo.storage.s3 import read_text

    text = read_text(_location("features"), FEATURES_MANIFEST)
    return json.loads(text) if text else None
