"""A build's own staging directory, beside the directory it replaces, so that a failed or killed run
leaves the previous files readable and the next run cleans up after it.

Guarantee: every file of a run is written into ``.<target>-build-<run>/`` (same filesystem); only
when all are written are they renamed over the targets, the manifest last (a rename is atomic).
One run at a time holds the lock ``.<target>.lock`` (released by the kernel if the run is killed);
the run that takes it first removes what killed runs left behind: their staging directories and
the hidden ``.*.tmp`` files of earlier versions.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from feature_repo.pipeline.errors import PipelineError

LEFTOVER_TEMPORARY_FILES = ".*.tmp"


def _staging_pattern(target: Path) -> str:
    return f".{target.name}-build-*"


@contextmanager
def build_lock(target: Path) -> Iterator[None]:
    """Hold the lock of ``target`` for the whole run; a second concurrent run is refused."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with (target.parent / f".{target.name}.lock").open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            raise PipelineError(
                f"Another run is writing {target} right now: wait for it to finish and rerun."
            ) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def remove_leftovers(target: Path) -> list[Path]:
    """Delete what killed runs left (call with the lock held); returns what was removed."""
    removed = sorted(target.parent.glob(_staging_pattern(target)))
    for leftover in removed:
        shutil.rmtree(leftover, ignore_errors=True)
    if target.is_dir():
        for temporary in sorted(target.glob(LEFTOVER_TEMPORARY_FILES)):
            temporary.unlink(missing_ok=True)
            removed.append(temporary)
    return removed


@contextmanager
def staging_directory(target: Path) -> Iterator[Path]:
    """A fresh staging directory for one run, removed when the run ends (success or failure)."""
    staging = target.parent / _staging_pattern(target).replace("*", uuid.uuid4().hex)
    staging.mkdir(parents=True)
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def publish(staging: Path, target: Path, names: list[str], manifest: str) -> None:
    """Rename the staged files over those of ``target``, ``manifest`` last."""
    target.mkdir(parents=True, exist_ok=True)
    for name in [*names, manifest]:
        os.replace(staging / name, target / name)
