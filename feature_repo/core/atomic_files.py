"""Writing a set of files so that a failed run leaves the previous good files in place.

Every file is first written beside its target under a temporary name; only when all of
them are written are they renamed over the targets (a rename is atomic on one filesystem).
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

Writer = Callable[[Path], None]


def write_files_atomically(writers: Mapping[Path, Writer]) -> None:
    """Call each writer on a temporary path beside its target, then rename all into place."""
    staged: dict[Path, Path] = {}
    try:
        for target, write in writers.items():
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
            staged[target] = temporary
            write(temporary)
    except BaseException:
        for temporary in staged.values():
            temporary.unlink(missing_ok=True)
        raise
    for target, temporary in staged.items():
        os.replace(temporary, target)


def write_json(path: Path, content: dict) -> None:
    """Write ``content`` as indented JSON (used as a ``Writer`` for manifests)."""
    path.write_text(json.dumps(content, indent=2, sort_keys=True, default=str) + "\n")


def read_json(path: Path) -> dict | None:
    """The JSON object in ``path``, or ``None`` if it does not exist or cannot be read."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None
