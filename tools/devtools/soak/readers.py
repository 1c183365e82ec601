"""The soak's readers: ``wrk`` on ``/get-online-features`` back to back in short slices, so that the
read p99 is known slice by slice (for the recovery times) and errors are counted by kind."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from devtools.bench.load import SCRIPT, parse_wrk

SLICE_SECONDS = 2
CONNECTIONS = 8


def error_kinds(report: str) -> dict[str, int]:
    """wrk's errors by kind: non-2xx answers and socket errors (connect, read, write, timeout)."""
    kinds = {"non_2xx": 0, "connect": 0, "read": 0, "write": 0, "timeout": 0}
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    if non_2xx:
        kinds["non_2xx"] = int(non_2xx.group(1))
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    if sockets:
        kinds.update(
            zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()), strict=True)
        )
    return kinds


@dataclass
class Readers:
    """wrk slices of ``SLICE_SECONDS`` until stopped; ``slices`` holds each one's figures."""

    url: str
    bodies: list[dict]
    work_dir: Path
    started: float
    slices: list[dict] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        lines = self.work_dir / "wrk-bodies.jsonl"
        lines.write_text("\n".join(json.dumps(b) for b in self.bodies) + "\n")
        script = self.work_dir / "wrk-post.lua"
        script.write_text(SCRIPT % lines)
        program = shutil.which("wrk")
        while not self.stop.is_set():
            start = time.monotonic() - self.started
            report = subprocess.run(
                [program, "-t2", f"-c{CONNECTIONS}", f"-d{SLICE_SECONDS}s", "--latency",
                 "--timeout", "5s", "-s", str(script), self.url + "/get-online-features"],
                capture_output=True, text=True,
            ).stdout  # fmt: skip
            end = time.monotonic() - self.started
            self.slices.append(_slice(report, start, end))


def _slice(report: str, start: float, end: float) -> dict:
    kinds = error_kinds(report)
    try:
        figures = parse_wrk(report)
    except (AttributeError, KeyError, TypeError):  # wrk itself failed
        figures = {"requests": 0}
    if not figures["requests"]:  # nothing answered (wrk then prints zero percentiles)
        figures = {"requests": 0, "p50_ms": None, "p99_ms": None}
    return {"start": round(start, 3), "end": round(end, 3), "requests": figures["requests"],
            "p50_ms": figures["p50_ms"], "p99_ms": figures["p99_ms"],
            "errors": sum(kinds.values()), "error_kinds": kinds}  # fmt: skip
