"""Progress of long work: the plain lines of a log (times from a fake clock, every figure computed
by hand in the comments), the rich bar of a terminal, the choice between them, and a command's
progress on standard error with its standard output unchanged."""

from __future__ import annotations

import re
from io import StringIO

import click
import pytest
from rich.console import Console

from feature_repo.core import progress
from feature_repo.core.progress_display import (
    MODE_ENV,
    PlainLines,
    RichBar,
    command_reporter,
    compact,
    duration,
    engine_reporter,
)
from tests.cli_runner import run_cli


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def plain(clock: FakeClock) -> tuple[PlainLines, StringIO]:
    stream = StringIO()
    return PlainLines(stream, clock=clock), stream


def test_a_line_every_tenth_of_the_parts_or_ten_seconds_and_a_last_line_with_exact_rows():
    clock = FakeClock()
    lines, stream = plain(clock)
    with lines.task("build-features", 40, "parts") as task:
        for second in (1, 2, 3, 4):  # the 4th part is the first tenth of 40
            clock.now = second
            task.advance(rows=30_000)
        clock.now = 13.9  # 5 parts (still the first tenth), 9.9 s after the last line: none
        task.advance(rows=30_000)
        clock.now = 14  # 6 parts, 10 s after the last line
        task.advance(rows=30_000)
        clock.now = 100  # the last 34 parts: done, the last line says so
        task.advance(34, rows=1_020_000)
    assert stream.getvalue().splitlines() == [
        # 120,000 rows in 4 s: 30,000 rows/s; 36 parts left at 1 s a part
        "build-features: 4/40 parts, 120k rows, 30k rows/s, 36s left",
        # 180,000 rows in 14 s: 12,857 rows/s; 34 parts left at 14/6 s a part: 79.3 s
        "build-features: 6/40 parts, 180k rows, 13k rows/s, 1m19s left",
        # 1,200,000 rows in 100 s: 12,000 rows/s
        "build-features: done, 40/40 parts, 1,200,000 rows in 1m40s, 12k rows/s",
    ]


def test_without_a_total_lines_come_every_ten_seconds_and_an_error_ends_in_stopped_at():
    clock = FakeClock()
    lines, stream = plain(clock)
    with (
        pytest.raises(RuntimeError),
        lines.task("materialize user_profile", None, "batches") as task,
    ):
        clock.now = 10
        task.advance(rows=10_000)
        clock.now = 19.9  # 9.9 s after the last line: none
        task.advance(rows=10_000)
        clock.now = 20
        task.advance(rows=10_000)
        clock.now = 25
        raise RuntimeError("the online store went away")
    assert stream.getvalue().splitlines() == [
        "materialize user_profile: 1 batches, 10k rows, 1.0k rows/s",  # 10,000 rows in 10 s
        "materialize user_profile: 3 batches, 30k rows, 1.5k rows/s",  # 30,000 rows in 20 s
        # 30,000 rows in 25 s: 1,200 rows/s
        "materialize user_profile: stopped at 3 batches, 30,000 rows in 25s, 1.2k rows/s",
    ]


def test_when_rows_are_the_unit_the_rate_is_in_the_unit():
    clock = FakeClock()
    lines, stream = plain(clock)
    with lines.task("replay", 5_000, "orders") as task:
        clock.now = 4
        task.advance(2_000)  # 4 tenths done
        clock.now = 7
        task.advance(2_000)  # 8 tenths done
        clock.now = 8
        task.advance(1_000)  # all done: only the last line
    assert stream.getvalue().splitlines() == [
        "replay: 2,000/5,000 orders, 500 orders/s, 6s left",  # 3,000 left at 500 a second
        "replay: 4,000/5,000 orders, 571 orders/s, 2s left",  # 4,000/7 s; 1,000 left: 1.75 s
        "replay: done, 5,000/5,000 orders in 8s, 625 orders/s",
    ]


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (950, "950"),
        (8.5, "8.5"),
        (12_450, "12k"),
        (8_500, "8.5k"),
        (1_234_567, "1.2M"),
        (3.4e9, "3.4G"),
    ],
)
def test_compact_counts(value, text):
    assert compact(value) == text


@pytest.mark.parametrize(("seconds", "text"), [(44.6, "45s"), (130, "2m10s"), (3_900, "1h05m")])
def test_durations(seconds, text):
    assert duration(seconds) == text


def test_a_terminal_gets_a_rich_bar_with_count_rows_and_rate():
    clock, screen = FakeClock(), StringIO()
    bar = RichBar(Console(file=screen, force_terminal=True, width=120), clock=clock)
    with bar.task("build-features", 4, "parts") as task:
        for second in (1, 2, 3, 4):
            clock.now = second
            task.advance(rows=500)
    shown = screen.getvalue()
    assert "\x1b[" in shown  # drawn for a terminal, with styles
    last = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", shown.split("\r")[-1]).strip()
    # the last drawing: a full bar (rich's 40 columns), 4 of 4 parts, 2,000 rows in 4 s
    # (500 rows/s), nothing left
    assert last == f"build-features {'━' * 40} 4/4 parts 2.0k rows, 500 rows/s 0:00:00"


def test_library_use_is_silent_and_a_command_line_run_gets_plain_lines_in_a_log(monkeypatch):
    monkeypatch.delenv(MODE_ENV, raising=False)
    assert progress.reporter() is progress.SILENT
    assert engine_reporter() is progress.SILENT  # no command running, nothing asked
    with click.Context(click.Command("materialize")):  # as in `feast materialize`
        assert isinstance(engine_reporter(), PlainLines)  # standard error is not a terminal here
    monkeypatch.setenv(MODE_ENV, "off")
    assert command_reporter() is progress.SILENT
    monkeypatch.setenv(MODE_ENV, "bar")
    assert isinstance(command_reporter(), RichBar)


def test_a_reporter_is_installed_for_a_block_only():
    lines = PlainLines(StringIO())
    with progress.reporting(lines):
        assert progress.reporter() is lines and engine_reporter() is lines
        with progress.reporting(progress.SILENT):
            assert progress.reporter() is progress.SILENT
        assert progress.reporter() is lines
    assert progress.reporter() is progress.SILENT


@pytest.mark.integration
def test_a_piped_command_prints_plain_progress_on_stderr_and_the_same_stdout(tmp_path):
    out = tmp_path / "raw"
    args = ("delivery-fs", "generate-data", "--seed", "3", "--scale", "0.02", "--out", str(out))
    shown = run_cli(*args, env={MODE_ENV: ""})  # unset: piped, so plain lines
    quiet = run_cli(*args, "--force", env={MODE_ENV: "off"})
    # 0.02 of the tutorial's 12,450 users and 223,971 transactions, in one part
    users, transactions = round(12_450 * 0.02), round(223_971 * 0.02)
    assert (users, transactions) == (249, 4_479)
    assert shown.stdout == f"wrote: 249 users and 4,479 transactions in {out}\n"
    assert quiet.stdout == shown.stdout and quiet.stderr == ""
    # one part, its rows are its users and transactions: 4,728
    assert re.fullmatch(
        r"generate-data: done, 1/1 parts, 4,728 rows in \d+s(, [\d.]+k? rows/s)?\n", shown.stderr
    ), shown.stderr
    assert "Warning" not in shown.stderr


@pytest.mark.integration
def test_a_bar_when_asked_and_an_unknown_display_is_named(tmp_path):
    out = tmp_path / "raw"
    args = ("delivery-fs", "generate-data", "--seed", "3", "--scale", "0.01", "--out", str(out))
    bar = run_cli(*args, env={MODE_ENV: "bar"})
    assert "\x1b[" in bar.stderr and "generate-data" in bar.stderr and "1/1" in bar.stderr
    assert bar.stdout.startswith("wrote: 124 users")  # 0.01 of 12,450, rounded
    wrong = run_cli(*args, env={MODE_ENV: "fancy"}, check=False)
    assert wrong.returncode == 2
    assert wrong.stderr == (
        f"error: {MODE_ENV}='fancy' is not a progress display: use one of bar, plain, off, or unset it.\n"
    )


@pytest.mark.integration
def test_feast_materialize_reports_each_view_streamed_by_our_engine_on_stderr(tmp_path, built_data):
    import math

    import pandas as pd

    from feature_repo.core.paths import features_dir
    from feature_repo.repository.horizon import data_horizon
    from tests.conftest import applied_store_config

    config = applied_store_config(tmp_path / "store")
    end = data_horizon(features_dir()).strftime("%Y-%m-%dT%H:%M:%S")
    run = run_cli("feast", "-f", str(config), "materialize", "2000-01-01T00:00:00", end,
                  env={MODE_ENV: ""})  # fmt: skip
    reported = {
        view: (int(batches), int(rows.replace(",", "")))
        for view, batches, rows in re.findall(
            r"^materialize (\w+): done, (\d+) batches, ([\d,]+) rows in \d+s", run.stderr, re.M
        )
    }
    # the latest row per entity of each view's table (the window holds the whole history),
    # in batches of online_write_batch_size (10,000) rows
    keys = {"user_profile": "user_id", "user_order_stats": "user_id",
            "user_order_ledger": "user_id", "transaction_features": "transaction_id"}  # fmt: skip
    expected = {}
    for view, key in keys.items():
        entities = pd.read_parquet(features_dir() / f"{view}.parquet", columns=[key])[key].nunique()
        expected[view] = (math.ceil(entities / 10_000), entities)
    assert reported == expected
    assert "materialize " not in run.stdout  # Feast's own lines stay on stdout, ours on stderr
