"""Commands of fresh features: pushing orders as they happen, and replaying held-out orders."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated

import typer

from feature_repo.cli.errors import USER_ERROR_EXIT_CODE
from feature_repo.cli.instants import instant
from feature_repo.cli.rendering import cell, console, print_error, print_plain

app = typer.Typer()


@app.command("push-orders")
def push_orders(
    source: Annotated[
        str,
        typer.Argument(help="JSON-lines or CSV file of orders (tutorial columns), or - for stdin."),
    ],
) -> None:
    """Push new orders to the online store (visible at once) and the offline data; one result per order."""
    from feature_repo.push.orders import records_from_text
    from feature_repo.push.service import OrderPusher
    from feature_repo.repository.store import open_store

    text = sys.stdin.read() if source == "-" else Path(source).read_text()
    records, kind = records_from_text(text)
    results = OrderPusher(open_store()).push(records, kind, report=True)
    for result in results:
        print_plain(result.line())
    _finish([str(r.status) for r in results], [r for r in results if r.status == "failed"])


@app.command("replay")
def replay(
    start: Annotated[
        str, typer.Option("--from", help="Replay the orders placed after this instant (ISO-8601).")
    ],
    speed: Annotated[
        float,
        typer.Option(help="Times real time (60: a minute per second); 0: as fast as possible."),
    ] = 0.0,
    until: Annotated[
        str | None, typer.Option(help="Stop after the orders of this instant (ISO-8601).")
    ] = None,
    orders: Annotated[
        Path | None,
        typer.Option(help="Orders to replay (default: data/raw/held_out_transactions.parquet)."),
    ] = None,
    watch: Annotated[
        int | None,
        typer.Option(help="Print this user's checkout features after each of their orders."),
    ] = None,
) -> None:
    """Push held-out orders (`generate-data --hold-out-after`) in event-time order."""
    from feature_repo.core.paths import raw_dir
    from feature_repo.push.replay import HELD_OUT_NAME, held_out_orders
    from feature_repo.push.replay import replay as run_replay
    from feature_repo.push.service import OrderPusher
    from feature_repo.repository.store import open_store

    path = orders or raw_dir() / HELD_OUT_NAME
    if not path.exists():
        print_error(
            f"{path} does not exist: run `delivery-fs generate-data --hold-out-after T0` first."
        )
        raise typer.Exit(code=USER_ERROR_EXIT_CODE)
    begin = instant(start)
    frame = held_out_orders(path, begin, instant(until) if until else None)
    store = open_store()
    pusher, watcher = OrderPusher(store), _watcher(store, watch)
    gc.collect()
    gc.freeze()  # a long run: full collections then skip the store's long-lived objects
    console.print(f"replaying {len(frame):,} orders placed after {begin.isoformat()} from {path}")
    summary = run_replay(pusher, frame, begin, speed, watcher)
    console.print(f"{summary.pushes:,} pushes")
    _finish(summary.counts.elements(), summary.failures)


def _watcher(store, user_id: int | None):
    if user_id is None:
        return None
    from feature_repo.serving.lookup.online_features import OnlineFeatureReader

    reader = OnlineFeatureReader(store, "checkout_model_v1")
    shown = ("order_count_7d", "order_count_30d", "spend_mean_30d", "coupon_rate_30d")

    def show(batch, _results) -> None:
        mine = batch[batch["user_id"] == user_id]
        if mine.empty:
            return
        at = mine["transaction_date"].iloc[-1].to_pydatetime()
        values = reader.read([{"user_id": user_id, "cart_amount": 30.0}], now=at)[0]
        text = ", ".join(f"{name} {cell(values[name].value)}" for name in shown)
        print_plain(f"{at:%Y-%m-%d %H:%M:%S} user {user_id}: {text}")

    return show


def _finish(statuses, failures) -> None:
    from collections import Counter

    counts = Counter(statuses)
    print_plain(", ".join(f"{count} {status}" for status, count in sorted(counts.items())))
    if failures:
        print_error(
            f"{len(failures)} order(s) not applied: {failures[0].reason} "
            "Push them again: orders already applied count once."
        )
        raise typer.Exit(code=USER_ERROR_EXIT_CODE)
