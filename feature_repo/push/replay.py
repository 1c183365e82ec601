"""Replaying orders: the held-out orders (``generate-data --hold-out-after T0``) pushed in
event-time order, ``speed`` times faster than they happened (0: as fast as possible, in batches).

Orders of the same instant go in one push; at a finite speed each push waits until
``(instant - start) / speed`` seconds have passed since the replay began.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import pandas as pd

from feature_repo.core import progress
from feature_repo.core import raw_format as tf
from feature_repo.push.results import OrderResult
from feature_repo.push.service import OrderPusher

HELD_OUT_NAME = "held_out_transactions.parquet"
BATCH_ORDERS = 2_000


@dataclass
class ReplaySummary:
    pushes: int = 0
    counts: Counter = field(default_factory=Counter)
    failures: list[OrderResult] = field(default_factory=list)


def held_out_orders(path: Path, start: datetime, until: datetime | None = None) -> pd.DataFrame:
    """The orders of ``path`` after ``start`` (and up to ``until``), by instant then id."""
    orders = pd.read_parquet(path)
    placed = pd.to_datetime(orders["transaction_date"], utc=True)
    keep = placed > pd.Timestamp(start)
    if until is not None:
        keep &= placed <= pd.Timestamp(until)
    orders = orders[keep].assign(transaction_date=placed[keep])
    return orders.sort_values(["transaction_date", "transaction_id"], ignore_index=True)


def _records(frame: pd.DataFrame) -> list[dict]:
    records = frame[list(tf.TRANSACTION_COLUMNS)].to_dict("records")
    for record in records:
        record["transaction_date"] = record["transaction_date"].isoformat()
    return records


def _batches(orders: pd.DataFrame, speed: float) -> Iterator[pd.DataFrame]:
    if speed <= 0:
        for begin in range(0, len(orders), BATCH_ORDERS):
            yield orders.iloc[begin : begin + BATCH_ORDERS]
        return
    for _, same_instant in orders.groupby("transaction_date", sort=True):
        yield same_instant


def replay(
    pusher: OrderPusher,
    orders: pd.DataFrame,
    start: datetime,
    speed: float,
    on_push: Callable[[pd.DataFrame, list[OrderResult]], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> ReplaySummary:
    """Push ``orders`` in event-time order; ``on_push`` sees each batch and its results."""
    summary = ReplaySummary()
    began = clock()
    with progress.task("replay", total=len(orders), unit="orders") as task:
        for batch in _batches(orders, speed):
            if speed > 0:
                due = (
                    batch["transaction_date"].iloc[0] - pd.Timestamp(start)
                ).total_seconds() / speed
                wait = due - (clock() - began)
                if wait > 0:
                    sleep(wait)
            results = pusher.push(_records(batch), "replay")
            summary.pushes += 1
            summary.counts.update(str(r.status) for r in results)
            summary.failures += [r for r in results if r.status == "failed"]
            if on_push:
                on_push(batch, results)
            task.advance(len(batch))
    return summary
