"""A push, end to end: check the orders, read the affected users' ledgers (one round trip per part
of the batch), apply the orders, append them offline, then write the rows online; a part from the
read to the last write under the online store's push lock (``ledger_lock``: concurrent pushes of a
user apply their orders one after the other, none lost).

Per part of ``PART_ORDERS`` orders (whole users): the ledgers are read with the online store's
``online_read`` (one round trip; on Redis left serialized, ``online_read_serialized``); the
checked orders that are not rejected are appended to the pushed-orders dataset first; then the
``transaction_features`` rows, the ``user_order_stats`` rows and last the ledgers are written, in
that order, each sent while the next is encoded (``ordered_sends``). The
ledger is the record of what was applied: if the online store fails, the part's orders are reported
``failed`` (with the store's message, naming its endpoint) and nothing else is tried; pushing them
again applies each once (an id in the ledger is a duplicate; the offline copy counts once).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from feast import FeatureStore, FeatureView

from feature_repo.core import progress
from feature_repo.core.disk_space import DiskFullError
from feature_repo.core.paths import raw_dir
from feature_repo.online.errors import OnlineStoreError
from feature_repo.online.translation import online_store_errors
from feature_repo.push.apply import (
    UserChange,
    apply_orders,
    order_columns,
    transaction_columns,
    write_instant,
    write_instant_at,
)
from feature_repo.push.flat_apply import RunChanges, apply_to_run
from feature_repo.push.ledger_bytes import (
    decoded_ledger,
    decoded_ledgers,
    decoded_run,
    ledger_fields,
    run_fields,
)
from feature_repo.push.ledger_lock import push_lock
from feature_repo.push.offline_append import append_pushed
from feature_repo.push.online_writes import (
    read_serialized_rows,
    read_view_rows,
    view_columns_write,
    view_of,
)
from feature_repo.push.ordered_sends import OrderedSends
from feature_repo.push.orders import PushedOrder, checked_orders
from feature_repo.push.results import OrderResult, OrderStatus
from feature_repo.storage.s3 import S3StorageError
from feature_repo.transforms.ledger_stats_columns import LedgerRun, order_stats_columns
from feature_repo.transforms.ledger_windows import (
    OrderLedger,
    ledger_columns,
    ledger_from_columns,
    order_stats_at,
)

LEDGER_VIEW = "user_order_ledger"
WRITTEN_VIEWS = ("transaction_features", "user_order_stats", LEDGER_VIEW)  # in this order
PART_ORDERS = 2_000
COLUMN_USERS = 64  # users: fewer are decoded and computed a user at a time
THREADED_SENDS = 500  # users: fewer are sent in turn (a thread costs them more CPU than it saves)
RETRY_HINT = "Push the failed orders again once it is reachable: each is applied once."


class OrderPusher:
    """Pushes orders into one feature store."""

    def __init__(self, store: FeatureStore, raw: Path | None = None) -> None:
        self.store = store
        self.raw = raw or raw_dir()
        self._views_read: tuple[float, dict[str, FeatureView]] | None = None

    def _views(self) -> dict[str, FeatureView]:
        """The written views, fetched again once the registry's cache would be (its
        ``cache_ttl_seconds``; every part when 0): Feast rebuilds a view on each fetch."""
        ttl = self.store.config.registry.cache_ttl_seconds or 0
        now = time.monotonic()
        if self._views_read is None or now - self._views_read[0] >= ttl:
            views = {name: view_of(self.store, name) for name in WRITTEN_VIEWS}
            self._views_read = (now, views)
        return self._views_read[1]

    def push(
        self,
        records: Iterable[Mapping[str, Any] | str],
        kind: str,
        now: datetime | None = None,
        report: bool = False,
    ) -> list[OrderResult]:
        """One result per record, in order; the online store's failure, or no space or no S3 for
        the offline copy, marks a part ``failed`` (nothing of it applied: push it again). With
        ``report`` (a file of orders), the parts pushed are reported as ``push-orders`` progress."""
        now = now or datetime.now(UTC)
        good, results = checked_orders(records, kind, now)
        reporter = progress.reporter() if report else progress.SILENT
        with reporter.task("push-orders", len(good), "orders") as task:
            for part in _parts(good):
                try:
                    with push_lock(self.store, LEDGER_VIEW, RETRY_HINT):
                        results += self._push_part(part)
                except (OnlineStoreError, DiskFullError, S3StorageError) as error:
                    results += [
                        OrderResult(o.index, o.location, o.transaction_id, o.user_id, OrderStatus.FAILED, str(error))
                        for o in part
                    ]  # fmt: skip
                task.advance(len(part))
        return sorted(results, key=lambda r: r.index)

    def _push_part(self, orders: list[PushedOrder]) -> list[OrderResult]:
        users = list(dict.fromkeys(o.user_id for o in orders))
        views = self._views()
        with online_store_errors(self.store, RETRY_HINT):
            stored_times, found = self._ledgers(views[LEDGER_VIEW], users)
        if isinstance(found, dict):  # the ledgers, a user at a time
            batch = apply_orders(orders, found)
            results, changes = batch.results, batch.changes
            written = _changed_rows(changes, stored_times) if changes else None
        else:  # the part's ledgers laid end to end (many users)
            results, flat = apply_to_run(orders, *found)
            written = _run_rows(flat, stored_times) if flat.after is not None else None
        kept = {r.index for r in results if r.status is not OrderStatus.REJECTED}
        append_pushed(self.raw, [o for o in orders if o.index in kept])
        if written is not None:
            with online_store_errors(self.store, RETRY_HINT):
                self._write(written, views)
        return results

    def _ledgers(
        self, view: FeatureView, users: list[int]
    ) -> tuple[dict[int, datetime | None], dict[int, OrderLedger | None] | tuple[LedgerRun, dict]]:
        """Per user, the stored ledger row's event time (``None``: no row); and the ledgers, by
        user (``None``: no row), or for many users on a store that reads rows left serialized,
        laid end to end (``ledger_bytes.decoded_run``) with each user's position in the run."""
        keys = [{"user_id": u} for u in users]
        rows = read_serialized_rows(self.store, view, keys)
        if rows is None:
            found = read_view_rows(self.store, view, keys)
            return (
                {user: time for user, (time, _) in zip(users, found, strict=True)},
                {
                    user: None if values is None else ledger_from_columns(values)
                    for user, (_, values) in zip(users, found, strict=True)
                },
            )
        times = {user: None if row is None else row[0] for user, row in zip(users, rows, strict=True)}  # fmt: skip
        names = [f.name for f in view.features]
        stored = [None if row is None else row[1] for row in rows]
        if len(rows) >= COLUMN_USERS:
            run = decoded_run(stored, names)
            if run is not None:
                present = [user for user, row in zip(users, rows, strict=True) if row is not None]
                return times, (run, {user: i for i, user in enumerate(present)})
        ledgers = (
            decoded_ledgers(stored, names)
            if len(rows) >= COLUMN_USERS
            else [None if row is None else decoded_ledger(row, names) for row in stored]
        )
        return times, dict(zip(users, ledgers, strict=True))

    def _write(self, written: _UserRows, views: dict) -> None:
        """The three views' rows, each sent (``OrderedSends``) while the next is prepared."""
        keys = {"user_id": written.user_ids}
        with OrderedSends(threaded=len(written.user_ids) >= THREADED_SENDS) as sends:
            orders = written.orders()
            sends.submit(view_columns_write(
                self.store, views["transaction_features"], {"transaction_id": orders["transaction_id"]},
                orders, orders["event_timestamp"],
            ))  # fmt: skip
            stats, ledgers = written.columns()
            stats["last_order_at"] = [
                None if last is None else datetime.fromtimestamp(last / 1e6, tz=UTC)
                for last in stats.pop("last_order_at_us")
            ]
            stats_view, ledger_view = views["user_order_stats"], views[LEDGER_VIEW]
            sends.submit(view_columns_write(self.store, stats_view, keys, stats, written.times))
            sends.submit(view_columns_write(self.store, ledger_view, keys, ledgers, written.times))
            sends.wait()


@dataclass
class _UserRows:
    """What a part writes: the changed users, their rows' event times, and (made when sent, the
    store taking the previous view's rows meanwhile) the applied orders' ``transaction_features``
    columns and the users' ``user_order_stats`` and ledger columns."""

    user_ids: list[int]
    times: list[datetime]
    orders: Callable[[], dict[str, Any]]
    columns: Callable[[], tuple[dict[str, list], dict[str, Any]]]


def _changed_rows(changes: list[UserChange], stored: dict[int, datetime | None]) -> _UserRows:
    return _UserRows(
        [c.user_id for c in changes],
        [write_instant(c, stored.get(c.user_id)) for c in changes],
        lambda: transaction_columns(changes),
        lambda: _user_columns([c.after for c in changes]),
    )


def _run_rows(changes: RunChanges, stored: dict[int, datetime | None]) -> _UserRows:
    after = changes.after
    return _UserRows(
        changes.user_ids,
        [write_instant_at(last, stored.get(user)) for user, last in zip(changes.user_ids, after.last_order_at_us, strict=True)],
        lambda: order_columns(changes.applied, changes.previous_us, changes.lifetime_before, changes.registered_us),
        lambda: (order_stats_columns(after), run_fields(after)),
    )  # fmt: skip


def _user_columns(ledgers: list[OrderLedger]) -> tuple[dict[str, list], dict[str, Any]]:
    """The changed users' ``user_order_stats`` values at their latest order and their ledger
    fields, as columns: for many users, computed a column at a time (``ledger_stats_columns``,
    ``ledger_fields``); for a few, a user at a time, which costs fewer calls (the same values:
    ``tests/test_ledger_stats_columns.py``)."""
    if len(ledgers) >= COLUMN_USERS:
        run = LedgerRun.of(ledgers)
        return order_stats_columns(run), ledger_fields(ledgers, run)
    stats = [order_stats_at(ledger, ledger.last_order_at_us) for ledger in ledgers]
    fields = [ledger_columns(ledger) for ledger in ledgers]
    names = [name for name in stats[0] if name != "row_start_us"]
    return (
        {name: [row[name] for row in stats] for name in names},
        {name: [row[name] for row in fields] for name in fields[0]},
    )


def _parts(orders: list[PushedOrder]) -> list[list[PushedOrder]]:
    """Parts of about ``PART_ORDERS`` orders, a user's orders never split between parts."""
    by_user: dict[int, list[PushedOrder]] = {}
    for order in orders:
        by_user.setdefault(order.user_id, []).append(order)
    parts, current = [], []
    for mine in by_user.values():
        current += mine
        if len(current) >= PART_ORDERS:
            parts.append(current)
            current = []
    return parts + ([current] if current else [])
