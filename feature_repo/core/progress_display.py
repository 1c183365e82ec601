"""How progress is shown on standard error: a rich bar on a terminal, plain lines in a log, or nothing.

``DELIVERY_FS_PROGRESS`` chooses: ``bar``, ``plain`` or ``off``; unset, a command shows a bar when
standard error is a terminal and plain lines otherwise (a CI log stays readable: a line at most
every ``LINE_INTERVAL`` seconds or every tenth of the work, and a last line per task), e.g.::

    build-features: 12/40 parts, 1.2M rows, 85k rows/s, 2m10s left
    build-features: done, 40/40 parts, 4,080,000 rows in 48s, 85k rows/s

Standard output is left alone: some commands' output is read by scripts.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

from feature_repo.core.errors import FeatureStoreError
from feature_repo.core.progress import SILENT, Reporter, Task, installed

MODE_ENV = "DELIVERY_FS_PROGRESS"
MODES = ("bar", "plain", "off")
LINE_INTERVAL = 10.0  # seconds without a plain line, at most, while work advances
LINE_SHARES = 10  # ... and a line each time another tenth of the work is done


def compact(value: float) -> str:
    """A count or rate in few characters: 950, 8.5, 12k, 1.2M, 3.4G."""
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if value >= size:
            scaled = value / size
            return f"{scaled:.1f}{suffix}" if scaled < 10 else f"{scaled:.0f}{suffix}"
    return f"{value:.1f}" if value < 10 and value != int(value) else f"{value:.0f}"


def duration(seconds: float) -> str:
    """Whole seconds as 45s, 2m10s or 1h05m."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m{whole % 60:02d}s"
    return f"{whole // 3600}h{whole % 3600 // 60:02d}m"


def _rate(done: float, rows: int, unit: str, elapsed: float) -> list[str]:
    """Rows per second, or ``unit`` per second when rows are not counted (none before any time)."""
    if elapsed <= 0:
        return []
    return [f"{compact((rows or done) / elapsed)} {'rows' if rows else unit}/s"]


class _Tally:
    """A task's counts and the text of its lines."""

    def __init__(self, description: str, total: int | None, unit: str, started: float) -> None:
        self.description, self.total, self.unit, self.started = description, total, unit, started
        self.done = self.rows = 0

    def counts(self) -> str:
        of_total = "" if self.total is None else f"/{self.total:,}"
        return f"{self.done:,}{of_total} {self.unit}"

    def rate(self, elapsed: float) -> list[str]:
        return _rate(self.done, self.rows, self.unit, elapsed)

    def line(self, now: float) -> str:
        elapsed = now - self.started
        parts = [self.counts(), *([f"{compact(self.rows)} rows"] if self.rows else [])]
        parts += self.rate(elapsed)
        if self.total and 0 < self.done < self.total:
            parts.append(f"{duration(elapsed * (self.total - self.done) / self.done)} left")
        return f"{self.description}: " + ", ".join(parts)

    def last_line(self, now: float, finished: bool) -> str:
        """The task's summary, rows counted exactly (a log's record of what was done)."""
        elapsed = now - self.started
        rows = f", {self.rows:,} rows" if self.rows else ""
        state = "done, " if finished else "stopped at "
        rate = "".join(f", {r}" for r in self.rate(elapsed))
        return f"{self.description}: {state}{self.counts()}{rows} in {duration(elapsed)}{rate}"


class _PlainTask:
    def __init__(self, lines: PlainLines, tally: _Tally) -> None:
        self.lines, self.tally = lines, tally
        self.last_at, self.last_share = tally.started, 0

    def advance(self, steps: int = 1, rows: int = 0) -> None:
        tally = self.tally
        tally.done += steps
        tally.rows += rows
        now = self.lines.clock()
        share = tally.done * LINE_SHARES // tally.total if tally.total else 0
        unfinished = tally.total is None or tally.done < tally.total
        if unfinished and (now - self.last_at >= self.lines.interval or share > self.last_share):
            self.lines.write(tally.line(now))
            self.last_at, self.last_share = now, share


class PlainLines:
    """Plain progress lines, for logs: one at most every ``interval`` seconds or every tenth of a
    task's total, and its last line when it ends (``done``, or ``stopped at`` on an error)."""

    def __init__(
        self,
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        interval: float = LINE_INTERVAL,
    ) -> None:
        self.stream, self.clock, self.interval = stream, clock, interval

    def write(self, line: str) -> None:
        stream = self.stream or sys.stderr
        stream.write(line + "\n")
        stream.flush()

    @contextmanager
    def task(self, description: str, total: int | None, unit: str) -> Iterator[Task]:
        tally = _Tally(description, total, unit, self.clock())
        finished = False
        try:
            yield _PlainTask(self, tally)
            finished = True
        finally:
            self.write(tally.last_line(self.clock(), finished))


class _RowsColumn(ProgressColumn):
    """Rows done and their rate (or the unit's rate when rows are not counted)."""

    def render(self, task) -> Text:
        rows = task.fields.get("rows", 0)
        shown = [f"{compact(rows)} rows"] if rows else []
        shown += _rate(task.completed, rows, task.fields.get("unit", ""), task.elapsed or 0)
        return Text(", ".join(shown), style="progress.data.speed")


class _BarTask:
    def __init__(self, progress: Progress, task_id, unit: str) -> None:
        self.progress, self.task_id, self.unit, self.rows = progress, task_id, unit, 0

    def advance(self, steps: int = 1, rows: int = 0) -> None:
        self.rows += rows
        self.progress.update(self.task_id, advance=steps, rows=self.rows)


class RichBar:
    """A rich progress bar per task (description, count/total, rows and rate, time left); tasks
    opened inside another share its display."""

    def __init__(self, console: Console, clock: Callable[[], float] | None = None) -> None:
        self.console, self.clock = console, clock
        self._progress: Progress | None = None
        self._open = 0

    def _display(self) -> Progress:
        if self._progress is None:
            self._progress = Progress(
                TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                TextColumn("{task.fields[unit]}"), _RowsColumn(), TimeRemainingColumn(),
                console=self.console, redirect_stdout=_stdout_is_terminal(),
                **({"get_time": self.clock} if self.clock else {}),
            )  # fmt: skip
            self._progress.start()
        return self._progress

    @contextmanager
    def task(self, description: str, total: int | None, unit: str) -> Iterator[Task]:
        progress = self._display()
        self._open += 1
        task_id = progress.add_task(description, total=total, unit=unit, rows=0)
        try:
            yield _BarTask(progress, task_id, unit)
        finally:
            progress.stop_task(task_id)
            self._open -= 1
            if not self._open:
                progress.stop()
                self._progress = None


def _stdout_is_terminal() -> bool:
    """Printing to standard output during a bar goes above it only when both share the terminal."""
    return sys.stdout.isatty()


def configured_mode() -> str | None:
    """``DELIVERY_FS_PROGRESS`` (bar, plain or off), or None when unset."""
    value = os.environ.get(MODE_ENV, "").strip().lower()
    if value and value not in MODES:
        raise FeatureStoreError(
            f"{MODE_ENV}={value!r} is not a progress display: use one of {', '.join(MODES)}, or unset it."
        )
    return value or None


def reporter_for(mode: str, stream: TextIO | None = None) -> Reporter:
    """The display of ``mode`` writing to ``stream`` (default: standard error)."""
    if mode == "off":
        return SILENT
    if mode == "plain":
        return PlainLines(stream)
    return RichBar(Console(file=stream or sys.stderr, force_terminal=True))


def command_reporter() -> Reporter:
    """A command's display: ``DELIVERY_FS_PROGRESS``, else a bar on a terminal and plain lines in a log."""
    return reporter_for(configured_mode() or ("bar" if sys.stderr.isatty() else "plain"))


def engine_reporter() -> Reporter:
    """The display of work that also runs inside Feast's own CLI (the materialization engine): the
    one installed; else a command's display in a command-line run (a click command is running:
    ``feast materialize``) or when ``DELIVERY_FS_PROGRESS`` asks; else silence (library use)."""
    import click

    chosen = installed()
    if chosen is not None:
        return chosen
    if click.get_current_context(silent=True) is not None or configured_mode():
        return command_reporter()
    return SILENT
