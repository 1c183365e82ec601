"""A write that runs out of space, named: which path, how much is free, and that nothing was lost.

A full filesystem (or a quota, or a file size limit) reaches us as an ``OSError`` from Python or
pyarrow, or as an I/O error from DuckDB whose message carries the system's text. Each writer of the
project wraps its writes in ``out_of_space_named``: the error becomes a ``DiskFullError`` that
names the path and says what to do, and the writer's own guarantees (staging directories, files
written beside their targets and renamed) leave the previous files and acknowledged orders intact.
"""

from __future__ import annotations

import errno
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feature_repo.core.errors import FeatureStoreError

OUT_OF_SPACE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
OUT_OF_SPACE_TEXTS = ("No space left on device", "Disk quota exceeded", "File too large")


class DiskFullError(FeatureStoreError):
    """A write found no space (filesystem full, quota reached or file size limit)."""


def is_out_of_space(error: BaseException) -> bool:
    """Whether ``error`` (or one it was raised from) says the filesystem had no room."""
    while error is not None:
        if isinstance(error, OSError) and error.errno in OUT_OF_SPACE_ERRNOS:
            return True
        if any(text in str(error) for text in OUT_OF_SPACE_TEXTS):
            return True
        error = error.__cause__ or error.__context__
    return False


@contextmanager
def out_of_space_named(path: Path, what: str, kept: str) -> Iterator[None]:
    """Turn running out of space inside the block into a ``DiskFullError`` naming ``path``;
    ``kept`` says what stayed as it was (e.g. "the previous feature tables are unchanged")."""
    try:
        yield
    except FeatureStoreError:
        raise
    except Exception as error:
        if not is_out_of_space(error):
            raise
        raise DiskFullError(
            f"{what}: no space left on the filesystem of {path} ({_free(path)} free). {kept}. "
            "Free some space there (or move the data with DELIVERY_FS_DATA_DIR) and run it again."
        ) from error


def _free(path: Path) -> str:
    for candidate in (path, *path.parents):
        if candidate.exists():
            free = shutil.disk_usage(candidate).free
            return f"{free / 1e6:,.1f} MB" if free >= 1e5 else f"{free:,} bytes"
    return "unknown"
