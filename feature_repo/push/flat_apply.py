"""Orders applied to a part's ledgers laid end to end (``LedgerRun``, as ``ledger_bytes`` decodes
them), giving the ledgers after them laid end to end too: the many-user twin of
``apply.apply_orders``, without a list per ledger nor a new ledger per applied order.

The rules are ``apply_orders``' (see there), taken per user in the same order with the same
results. A ledger is never copied: a user's orders kept are a span of the run (its first
positions dropped as newer orders push them out of ``LEDGER_DAYS``) followed by the applied
orders still inside it, and the ledgers after the batch are gathered from those spans at once.
``tests/test_flat_apply.py`` compares every result and ledger with ``apply_orders``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import chain

import numpy as np

from feature_repo.push.apply import order_result, orders_by_user, refused, unknown_user
from feature_repo.push.orders import PushedOrder
from feature_repo.push.results import OrderResult, OrderStatus
from feature_repo.transforms.ledger_stats_columns import INT_COLUMNS, LedgerRun
from feature_repo.transforms.order_ledger import ORDER_COLUMNS, Order, first_kept, order_from_row


@dataclass
class RunChanges:
    """The changed users (in the order of their first order in the part) and what changed."""

    user_ids: list[int] = field(default_factory=list)
    applied: list[list[PushedOrder]] = field(default_factory=list)
    previous_us: list[int | None] = field(default_factory=list)  # latest order before the batch
    lifetime_before: list[int] = field(default_factory=list)
    registered_us: list[int | None] = field(default_factory=list)
    after: LedgerRun | None = None  # their ledgers after the batch


@dataclass
class _Span:
    """One changed user's ledger after the batch: run positions ``first:end`` then ``entries``."""

    position: int
    first: int
    end: int
    entries: list[Order]


def apply_to_run(
    orders: list[PushedOrder], run: LedgerRun, positions: dict[int, int]
) -> tuple[list[OrderResult], RunChanges]:
    """Apply checked orders to the ledgers of ``run`` (``positions``: a user's ledger in the run;
    a user without one is unknown): the results by index, and the changes."""
    results: list[OrderResult] = []
    changes, spans = RunChanges(), []
    ids = run.columns["transaction_ids"].tolist()
    instants = run.columns["order_instants_us"].tolist()
    bounds = run.offsets.tolist()
    for user_id, mine in orders_by_user(orders).items():
        position = positions.get(user_id)
        if position is None:
            results += unknown_user(user_id, mine)
            continue
        start, end = bounds[position], bounds[position + 1]
        registered, last = run.registered_at_us[position], run.last_order_at_us[position]
        latest = (instants[end - 1], ids[end - 1]) if end > start else None
        first, entries, applied, seen = start, [], [], set()

        def known(transaction_id: int, seen: set[int] = seen, end: int = end) -> bool:
            # the span as it is now: `first` moves as applied orders push old ones out
            return transaction_id in seen or _holds(ids, transaction_id, first, end)  # noqa: B023

        ranked = sorted(((order_from_row(o), o) for o in mine), key=lambda pair: pair[0].rank)
        for entry, order in ranked:
            result = refused(order, entry, registered, known, latest, last)
            if result is None:
                first = first_kept(instants, entry.instant_us, first, end)
                entries.append(entry)
                applied.append(order)
                latest, last = entry.rank, entry.instant_us
                result = order_result(order, OrderStatus.APPLIED)
            results.append(result)
            seen.add(order.transaction_id)
        if applied:
            kept = first_kept([e.instant_us for e in entries], entries[-1].instant_us)
            spans.append(_Span(position, first, end, entries[kept:]))
            changes.user_ids.append(user_id)
            changes.applied.append(applied)
            changes.previous_us.append(instants[end - 1] if end > start else None)
            changes.lifetime_before.append(run.lifetime_order_count[position])
            changes.registered_us.append(registered)
    changes.after = _after(run, spans, [len(a) for a in changes.applied])
    return sorted(results, key=lambda r: r.index), changes


def _holds(ids: list[int], transaction_id: int, first: int, end: int) -> bool:
    """Whether ``ids[first:end]`` holds the id (without copying the span)."""
    try:
        ids.index(transaction_id, first, end)
    except ValueError:
        return False
    return True


def _after(run: LedgerRun, spans: list[_Span], applied: list[int]) -> LedgerRun | None:
    """The changed users' ledgers after the batch, gathered from the run's spans and the applied
    orders kept (positions past the run's end) in one take per column; ``None``: no change."""
    if not spans:
        return None
    entries = list(chain.from_iterable(span.entries for span in spans))
    kept = np.array([span.end - span.first for span in spans], np.int64)
    added = np.array([len(span.entries) for span in spans], np.int64)
    added_starts = len(run.delivery_types) + np.concatenate([[0], np.cumsum(added)[:-1]])
    starts = np.stack([np.array([s.first for s in spans], np.int64), added_starts], 1).ravel()
    lengths = np.stack([kept, added], 1).ravel()
    total = int(lengths.sum())
    take = np.repeat(starts - np.cumsum(lengths) + lengths, lengths) + np.arange(total)
    columns = {}
    for index, name in enumerate(INT_COLUMNS):
        new = np.fromiter((entry[index] for entry in entries), np.int64, len(entries))
        columns[name] = np.concatenate([run.columns[name], new])[take]
    types = run.delivery_types + [entry[len(ORDER_COLUMNS) - 1] for entry in entries]
    return LedgerRun(
        np.concatenate([[0], np.cumsum(kept + added)]).astype(np.int64), columns,
        [types[i] for i in take.tolist()],
        [run.lifetime_order_count[s.position] + n for s, n in zip(spans, applied, strict=True)],
        [s.entries[-1].instant_us for s in spans],
        [run.registered_at_us[s.position] for s in spans],
    )  # fmt: skip
