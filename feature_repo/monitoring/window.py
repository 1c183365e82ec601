"""The current sample of a monitoring window: the served-feature logs of a feature service between
two instants (read by DuckDB, only the columns asked for), or, without logs, the offline features of
the window (``get_historical_features`` for the baseline's users at random instants in it).

Memory is bounded by the sample, not by the logs: a window of more than ``MAX_COMPARED_ROWS`` logged
rows is compared through a sample of about that size (the same rows on every run: those whose hash of
request id and row falls under the share), which is ample for deciles, KS and category shares. The
training set is sampled the same way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
from feast import FeatureStore

from feature_repo.core.timestamps import utc
from feature_repo.training.frames import training_frame

PRESENT = 1  # Feast's FieldStatus.PRESENT
OFFLINE_ROWS = 2_000
MAX_COMPARED_ROWS = 200_000


@dataclass(frozen=True)
class Window:
    frame: pd.DataFrame  # one column per feature, missing as null
    source: str  # "logs" or "offline"
    rows: int  # rows of the window (``frame`` holds them all, or a sample of them)
    freshness_hours: dict[str, float]  # per view: window end - newest event time served


def logged_window(
    folder: Path, features: dict[str, str], since: datetime, until: datetime,
    max_rows: int = MAX_COMPARED_ROWS,
) -> Window | None:  # fmt: skip
    """Logged rows of ``folder`` in [since, until) (about ``max_rows`` of them at most, sampled):
    ``features`` maps a feature to its view."""
    files = list(folder.rglob("*.parquet")) if folder.exists() else []
    if not files:
        return None
    columns = []
    for name, view in features.items():
        column = f'"{view}__{name}"'
        columns.append(
            f'CASE WHEN "{view}__{name}__status" = {PRESENT} THEN {column} END AS "{name}"'
        )
    views = sorted(set(features.values()))
    newest = [f'max("{view}__{next(n for n, v in features.items() if v == view)}__timestamp") '
              f'AS "{view}"' for view in views]  # fmt: skip
    source = (
        f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true, union_by_name = true, "
        "file_row_number = true)"
    )
    where = "__log_timestamp >= $since AND __log_timestamp < $until"
    with duckdb.connect() as connection:
        connection.execute("SET TimeZone = 'UTC'")
        parameters = {"since": since, "until": until}
        stamps = connection.execute(
            f"SELECT count(*), {', '.join(newest)} FROM {source} WHERE {where}", parameters
        ).fetchone()
        rows, stamps = stamps[0], stamps[1:]
        if rows == 0:
            return None
        sample = _sampled_rows("hash(__request_id, file_row_number)", rows, max_rows)
        frame = connection.execute(
            f"SELECT {', '.join(columns)} FROM {source} WHERE {where} AND {sample}", parameters
        ).df()
    freshness = {
        view: round((utc(until) - utc(stamp)).total_seconds() / 3600, 2)
        for view, stamp in zip(views, stamps, strict=True)
        if stamp is not None
    }
    return Window(frame, "logs", rows, freshness)


def training_sample(
    path: Path, columns: list[str], max_rows: int = MAX_COMPARED_ROWS
) -> tuple[pd.DataFrame, int]:
    """The training set's ``columns`` (about ``max_rows`` rows at most, the same ones on every run)
    and its number of rows."""
    source = f"read_parquet('{str(path).replace(chr(39), chr(39) * 2)}', file_row_number = true)"
    selected = ", ".join(f'"{column}"' for column in columns)
    with duckdb.connect() as connection:
        total = connection.execute(f"SELECT count(*) FROM {source}").fetchone()[0]
        sample = _sampled_rows("hash(file_row_number)", total, max_rows)
        frame = connection.execute(f"SELECT {selected} FROM {source} WHERE {sample}").df()
    return frame, total


def _sampled_rows(row_hash: str, rows: int, max_rows: int) -> str:
    """A condition that keeps about ``max_rows`` of ``rows`` rows, the same ones on every run (by
    their hash, as they stream past: DuckDB holds only what it keeps), or every row."""
    return f"{row_hash} % {rows} < {int(max_rows)}" if rows > max_rows else "true"


def offline_window(
    store: FeatureStore, service: str, users: np.ndarray, since: datetime, until: datetime,
    seed: int = 7,
) -> Window:  # fmt: skip
    """The service's offline features for the baseline's users at random instants of the window."""
    rng = np.random.default_rng(seed)
    start, end = pd.Timestamp(since), pd.Timestamp(until)
    span = (end - start).total_seconds()
    instants = start + pd.to_timedelta(np.floor(rng.random(OFFLINE_ROWS) * span), unit="s")
    rows = pd.DataFrame({"user_id": rng.choice(users, OFFLINE_ROWS), "event_timestamp": instants})
    rows["request_time"] = rows["event_timestamp"]
    frame = training_frame(store, rows, service)
    return Window(frame, "offline", len(frame), {})
