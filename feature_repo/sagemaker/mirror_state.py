"""What the mirror remembers between runs, per group and target store: the last mirrored event time,
and the records that failed (which the next run resends). Files under ``<data>/sagemaker/``, written atomically."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path

from feature_repo.core.atomic_files import write_files_atomically
from feature_repo.core.paths import data_dir


@dataclass(frozen=True)
class FailedRecord:
    identifier: str
    event_time: str
    error: str


def state_dir() -> Path:
    return data_dir() / "sagemaker"


def _write_json(path: Path, content: object) -> None:
    write_files_atomically({path: lambda target: target.write_text(json.dumps(content, indent=1))})


def watermark_path(group: str, target: str) -> Path:
    return state_dir() / f"{group}.{target}.watermark.json"


def failures_path(group: str, target: str) -> Path:
    return state_dir() / f"{group}.{target}.failed.json"


def read_watermark(group: str, target: str) -> str | None:
    """The newest event time (ISO-8601, UTC) mirrored to ``target`` of ``group``, if any."""
    path = watermark_path(group, target)
    return json.loads(path.read_text())["event_time"] if path.exists() else None


def write_watermark(group: str, target: str, event_time: str) -> None:
    _write_json(watermark_path(group, target), {"event_time": event_time})


def read_failures(group: str, target: str) -> list[FailedRecord]:
    path = failures_path(group, target)
    return [FailedRecord(**item) for item in json.loads(path.read_text())] if path.exists() else []


def write_failures(group: str, target: str, failures: list[FailedRecord]) -> Path | None:
    """The failure report of the last run (removed when nothing failed)."""
    path = failures_path(group, target)
    if not failures:
        path.unlink(missing_ok=True)
        return None
    _write_json(path, [asdict(f) for f in failures])
    return path
