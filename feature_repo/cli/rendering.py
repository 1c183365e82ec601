"""How the command line prints: the consoles, data frames as compact tables (pandas is imported
when a frame is printed, not by ``--help``), and the progress display of each command."""

from __future__ import annotations

import sys

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

WIDTH_WHEN_PIPED = 160

console = Console(width=None if sys.stdout.isatty() else WIDTH_WHEN_PIPED)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else WIDTH_WHEN_PIPED)


def show_progress(ctx: typer.Context) -> None:
    """Show the command's progress (a bar on a terminal, plain lines in a log, as
    ``DELIVERY_FS_PROGRESS`` chooses) on standard error until the command ends."""
    from feature_repo.core.progress import reporting
    from feature_repo.core.progress_display import command_reporter

    ctx.with_resource(reporting(command_reporter()))


def print_plain(text: str) -> None:
    """A line printed as it is: no markup, no highlighting, not wrapped (scripts grep it)."""
    console.print(text, highlight=False, markup=False, soft_wrap=True)


def print_error(message: str) -> None:
    """``error: message`` on standard error, unwrapped; the message itself is not read as markup."""
    err_console.print(
        Text.assemble(("error:", "bold red"), " ", message), highlight=False, soft_wrap=True
    )


def cell(value: object) -> str:
    """A compact rendering: missing as '-', whole floats as ints, others to 3 decimals, times to the second."""
    import pandas as pd

    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "-"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.3f}"
    return str(value)


def print_frame(title: str, frame) -> None:
    """``frame`` as a table with ``title``; the first column does not wrap."""
    table = Table(title=title, show_lines=False)
    for position, column in enumerate(frame.columns):
        table.add_column(str(column), overflow="fold", no_wrap=position == 0)
    for row in frame.itertuples(index=False):
        table.add_row(*[cell(v) for v in row])
    console.print(table)


def print_table(title: str, columns: tuple[str, ...], rows: list[tuple[str, ...]]) -> None:
    """Rows of text as a table with ``title``."""
    table = Table(title=title)
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
