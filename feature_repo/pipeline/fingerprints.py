"""Fingerprints that tell a rerun whether anything changed: input files and the code that reads them."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

CHUNK = 1 << 20


def file_fingerprint(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def code_fingerprint(package_dirs: Iterable[Path], files: Iterable[Path] = ()) -> str:
    """SHA-256 over the Python sources of the given package directories and files (sorted, so stable)."""
    digest = hashlib.sha256()
    sources = [source for directory in package_dirs for source in sorted(directory.glob("*.py"))]
    for source in [*sources, *files]:
        digest.update(source.name.encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()
