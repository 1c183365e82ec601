"""Progress of long work, as domain code reports it: a task with a count of steps (and rows) done.

Domain code opens a task and advances it; it does not know how (or whether) progress is shown::

    with progress.task("build-features", total=len(parts), unit="parts") as task:
        for part in parts:
            ...
            task.advance(rows=len(rows_of_part))

The reporter in force is the one installed for the current block (``reporting(reporter)``); the
default one does nothing, so library and notebook use stays silent. ``delivery-fs`` installs a
display for each command (``feature_repo.core.progress_display``: a bar on a terminal, plain lines in a
log); the materialization engine, which runs in Feast's own CLI too, looks one up there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Protocol

_installed: list[Reporter] = []  # a stack: the innermost ``reporting`` block wins


class Task(Protocol):
    """One piece of long work under way."""

    def advance(self, steps: int = 1, rows: int = 0) -> None:
        """``steps`` more of the task's unit done, covering ``rows`` more rows (0: not counted)."""


class Reporter(Protocol):
    """Shows tasks: ``task`` opens one, closed (and summed up) when its block ends."""

    def task(
        self, description: str, total: int | None, unit: str
    ) -> AbstractContextManager[Task]: ...


class _SilentTask:
    def advance(self, steps: int = 1, rows: int = 0) -> None:
        return None


class SilentReporter:
    """Shows nothing: the default, and ``--no-progress``."""

    @contextmanager
    def task(self, description: str, total: int | None, unit: str) -> Iterator[Task]:
        yield _SilentTask()


SILENT = SilentReporter()


def installed() -> Reporter | None:
    """The reporter of the innermost ``reporting`` block, if any."""
    return _installed[-1] if _installed else None


def reporter() -> Reporter:
    """The reporter in force: the one installed, else the silent one."""
    return installed() or SILENT


@contextmanager
def reporting(chosen: Reporter) -> Iterator[Reporter]:
    """Report the progress of the block's tasks with ``chosen``."""
    _installed.append(chosen)
    try:
        yield chosen
    finally:
        _installed.pop()


def task(
    description: str, total: int | None = None, unit: str = "steps"
) -> AbstractContextManager[Task]:
    """A task of the reporter in force: ``total`` steps of ``unit`` (None: not known in advance)."""
    return reporter().task(description, total, unit)
