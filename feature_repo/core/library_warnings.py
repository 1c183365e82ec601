"""The libraries' warnings that a user of the project cannot act on, kept off the console.

Each is named by the module that warns, its category and the start of its message, with the reason
it is not the user's to fix. ``silence_library_warnings()`` is called by the entry points only:
``delivery-fs`` at start-up and ``python -m feature_repo.cli.feast_cli`` (Feast's own CLI with these
filters), never on import of the package and never globally (no ``PYTHONWARNINGS``): every other
warning of these libraries still shows, and the tests keep pyproject.toml's ``filterwarnings``.

Why a hook on ``warnings.showwarning`` rather than ``warnings.filterwarnings``: Feast's modules call
``warnings.simplefilter("once", RuntimeWarning)`` (or ``DeprecationWarning``) when they are imported
(``feature_view.py``, ``repo_config.py``, ``offline_store.py`` and a dozen more, some only once a
profile needs them), and each call puts a catch-all filter in front of any filter installed before it.
The hook decides when a warning is about to be printed, whatever the order of the filters.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import PurePath


@dataclass(frozen=True)
class LibraryWarning:
    """One warning silenced: where it comes from, what it is, and why the user cannot act on it."""

    module: str  # the dotted module the warning is attributed to (the caller of warnings.warn)
    category: type[Warning]
    message: str  # a regular expression matched at the start of the message
    why: str

    def matches(self, category: type[Warning], message: str, filename: str) -> bool:
        return (
            issubclass(category, self.category)
            and re.match(self.message, message) is not None
            and _module_file(self.module, filename)
        )


SILENCED = (
    LibraryWarning(
        module="ibis.backends.duckdb",
        category=DeprecationWarning,
        message=r"fetch_arrow_table\(\) is deprecated",
        why="ibis 12 calls a method that DuckDB 2 deprecates; every read of Feast's DuckDB store hits it",
    ),
    LibraryWarning(
        module="feast.feature_store",
        category=RuntimeWarning,
        message=r"On demand feature view is an experimental feature",
        why="Feast prints it on every apply of a repository with on-demand views; ours are deliberate"
        " (offline, the project's store computes the vectorised ones on whole columns)",
    ),
)


def _module_file(module: str, filename: str) -> bool:
    """Whether ``filename`` is the source of the dotted ``module`` (``a/b/c.py`` or ``a/b/c/__init__.py``)."""
    parts = PurePath(filename).with_suffix("").parts
    if parts and parts[-1] == "__init__":
        parts = parts[:-1]
    wanted = tuple(module.split("."))
    return parts[-len(wanted) :] == wanted


def is_silenced(category: type[Warning], message: str, filename: str) -> bool:
    """Whether a warning of ``category`` with ``message``, raised from ``filename``, is one of ours to hide."""
    return any(entry.matches(category, message, filename) for entry in SILENCED)


def silence_library_warnings() -> None:
    """Keep the ``SILENCED`` warnings off the console for the rest of the process (idempotent)."""
    shown = warnings.showwarning
    if getattr(shown, "silences_library_warnings", False):
        return

    def showwarning(message, category, filename, lineno, file=None, line=None):
        if not is_silenced(category, str(message), filename):
            shown(message, category, filename, lineno, file, line)

    showwarning.silences_library_warnings = True
    warnings.showwarning = showwarning
