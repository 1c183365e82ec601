"""The ``user_order_stats`` values of many ledgers at once, each at its latest order: the push's
twin of ``ledger_windows.order_stats_at`` (one ledger at a time, the lean reader's), computed
with NumPy over the ledgers' columns laid end to end (``LedgerRun``) instead of a dict per user.

The rule is ``window_rule``'s, applied as ``order_stats_at`` applies it at the latest order: an
order at ``s`` counts at ``t`` while ``t - W < s`` (``s <= t`` holds for every order of the ledger);
sums are differences of running totals in integer cents; money is rounded to cents as Python's
``round`` rounds it; means and rates are missing (NaN) without orders; the top type has the most
orders, a tie to the alphabetically first, missing without orders.
``tests/test_ledger_stats_columns.py`` compares every value with ``order_stats_at``.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np

from feature_repo.transforms.order_ledger import MICROS_PER_DAY, ORDER_COLUMNS, OrderLedger
from feature_repo.transforms.window_rule import (
    CENTS,
    MONEY_DECIMALS,
    RATIOS,
    SUMMED,
    TOP,
    WINDOW_DAYS,
)

INT_COLUMNS = ORDER_COLUMNS[:-1]  # the ledger's integer lists; the last holds delivery types
EXACT_CENTS = 2**52 // CENTS  # sums of fewer cents need no rounding (``_money``)


@dataclass(frozen=True)
class LedgerRun:
    """Ledgers' order columns laid end to end: ledger ``i``'s orders are positions
    ``offsets[i]:offsets[i + 1]`` of every column (``ORDER_COLUMNS``; integers as int64, delivery
    types as a list), with each ledger's scalars."""

    offsets: np.ndarray
    columns: dict[str, np.ndarray]
    delivery_types: list[str]
    lifetime_order_count: list[int]
    last_order_at_us: list[int | None]
    registered_at_us: list[int | None]

    @classmethod
    def of(cls, ledgers: list[OrderLedger]) -> LedgerRun:
        sizes = np.fromiter((len(ledger.columns[0]) for ledger in ledgers), np.int64, len(ledgers))
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        total = int(offsets[-1])
        columns = {
            name: np.fromiter(
                chain.from_iterable(ledger.columns[position] for ledger in ledgers),
                np.int64,
                total,
            )
            for position, name in enumerate(INT_COLUMNS)
        }
        types = list(chain.from_iterable(ledger.columns[-1] for ledger in ledgers))
        return cls(
            offsets, columns, types,
            [ledger.lifetime_order_count for ledger in ledgers],
            [ledger.last_order_at_us for ledger in ledgers],
            [ledger.registered_at_us for ledger in ledgers],
        )  # fmt: skip

    def __len__(self) -> int:
        return len(self.offsets) - 1


def order_stats_columns(run: LedgerRun) -> dict[str, list]:
    """Per ledger (each with at least one order), the ``user_order_stats`` values at its latest
    order, by feature name (windowed columns, ``last_order_at_us``, ``lifetime_order_count``)."""
    at = np.array(run.last_order_at_us, np.int64)
    ends = run.offsets[1:]
    sizes = np.diff(run.offsets)
    instants = run.columns["order_instants_us"]
    totals = {
        a.ledger: np.concatenate([[0], np.cumsum(run.columns[a.ledger])])
        for a in SUMMED
        if a.kind != "count"
    }
    codes, names = _type_codes(run.delivery_types)
    type_totals = [np.concatenate([[0], np.cumsum(codes == rank)]) for rank in range(len(names))]
    values: dict[str, list] = {}
    for days in WINDOW_DAYS:
        # the ledger's orders are sorted: those out of the window (s <= t - W) come first
        out = instants <= np.repeat(at - days * MICROS_PER_DAY, sizes)
        first = run.offsets[:-1] + _per_ledger(out, run.offsets)
        count = ends - first
        sums: dict[str, list] = {}
        for aggregate in SUMMED:
            if aggregate.kind == "count":
                sums[aggregate.name] = count.tolist()
                continue
            total = totals[aggregate.ledger][ends] - totals[aggregate.ledger][first]
            if aggregate.kind == "money":
                sums[aggregate.name] = _money(total)
            else:
                sums[aggregate.name] = total.tolist()
        for ratio in RATIOS:
            sums[ratio.name] = [
                numerator / n if n else float("nan")
                for numerator, n in zip(sums[ratio.numerator], sums["order_count"], strict=True)
            ]
        counts = [totals_of[ends] - totals_of[first] for totals_of in type_totals]
        sums[TOP.name] = _top_types(counts, names, len(run))
        for name, column in sums.items():
            values[f"{name}_{days}d"] = column
    values["last_order_at_us"] = list(run.last_order_at_us)
    values["lifetime_order_count"] = [count or 0 for count in run.lifetime_order_count]
    return values


def _money(cents: np.ndarray) -> list[float]:
    """Sums in cents as ``round(cents / CENTS, MONEY_DECIMALS)`` gives them. Below ``EXACT_CENTS``
    the quotient is already the double nearest a whole number of cents, which ``round`` returns
    unchanged (it is within half a unit in the last place, far less than half a cent, of the
    exact quotient), so only larger sums go through ``round``."""
    values = (cents / CENTS).tolist()
    for position in np.flatnonzero(np.abs(cents) >= EXACT_CENTS).tolist():
        values[position] = round(values[position], MONEY_DECIMALS)
    return values


def _per_ledger(flags: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """How many of ``flags`` are set in each ledger's positions."""
    running = np.concatenate([[0], np.cumsum(flags, dtype=np.int64)])
    return running[offsets[1:]] - running[offsets[:-1]]


def _type_codes(types: list[str]) -> tuple[np.ndarray, list[str]]:
    """Each type's position among the distinct types, sorted as Python sorts strings."""
    names = sorted(set(types))
    position = {name: rank for rank, name in enumerate(names)}
    return np.fromiter(map(position.__getitem__, types), np.int64, len(types)), names


def _top_types(counts: list[np.ndarray], names: list[str], rows: int) -> list[str | None]:
    """The type with the most orders in each ledger's window (the first maximum: alphabetical),
    ``None`` without orders."""
    if not counts:
        return [None] * rows
    stacked = np.stack(counts, axis=1)
    best = stacked.argmax(axis=1).tolist()
    present = (stacked.max(axis=1) > 0).tolist()
    return [names[b] if ok else None for b, ok in zip(best, present, strict=True)]
