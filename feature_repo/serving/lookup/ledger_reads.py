"""Views served from a ledger: when the registry holds a serving-only view tagged
``serves: <view>`` (the order ledger serves ``user_order_stats``), the lean reader can compute the
served view's features at the lookup instant from the ledger with the shared transform
(``transforms.ledger_windows``), so windows that expired since the last order or batch run are
exact. Stock Feast still reads the served view's stored rows (written by each batch
load and each push): exact as of the last change written, without expiry in between.

The lean reader reads both in the same round trip: the served view's stored row and the ledger.
The stored row is served as it is when the ledger proves it is still the row in force at the
lookup instant (the row start the ledger gives at that instant is the stored row's event time and
both count the same orders: no order and no window exit since); otherwise the row is computed
from the ledger. Right after a batch load or a push the stored row is served; a window that
expired since is computed.

The computed row follows the offline join's rules: an instant before registration is NOT_FOUND;
an instant before the ledger's latest order is NOT_YET_VALID; a row that started longer than the
served view's TTL ago is OUTSIDE_MAX_AGE. Its event time is the instant the batch row in force
starts (registration, the last order or the last exit from a window). Without a ledger row (an
unknown user, or a ledger never loaded) the stored row is served as stock Feast serves it.
A pinned reference (``view@vN``) reads the stored rows of that version, as before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import cached_property

from feast import FeatureStore

from feature_repo.serving.decoding import (
    NOT_FOUND,
    FeatureStatus,
    FeatureValue,
    python_value,
    served_row,
)
from feature_repo.serving.plan import ServicePlan, ViewPlan, view_plan_of
from feature_repo.serving.stored_rows import StoredRow
from feature_repo.transforms.ledger_windows import ORDER_COLUMNS, order_stats_at, row_start_us

SERVES_TAG = "serves"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIME_FEATURES = {"last_order_at": "last_order_at_us"}
ORDER_COUNT = "lifetime_order_count"  # in the ledger and the served view: the same orders?
IN_FORCE_COLUMNS = ("order_instants_us", "last_order_at_us", "registered_at_us", ORDER_COUNT)


@dataclass(frozen=True)
class LedgerRead:
    """How one served view is read with its ledger: the ledger's row (keyed ``ledger.key`` in the
    read plan, read in the same round trip) and the served view's order count (at ``count_at`` of
    its stored values)."""

    count_at: int  # where the served view's values read hold its order count
    ledger: ViewPlan

    @cached_property
    def in_force_at(self) -> tuple[int, ...]:
        """Positions of the ledger values that tell the row in force (``IN_FORCE_COLUMNS``)."""
        return tuple(self.ledger.features.index(name) for name in IN_FORCE_COLUMNS)


def ledger_read_plan(
    store: FeatureStore, plan: ServicePlan
) -> tuple[ServicePlan, dict[str, LedgerRead]]:
    """The plan to read (the plan's views, each served one with its order count, then the ledger
    of each, keyed ``ledger of <view>``) and, by served view key, how it is read. A served view
    that does not serve its order count reads it as well, after the features it serves."""
    ledgers = {
        view.tags.get(SERVES_TAG): view
        for view in store.list_feature_views()
        if view.tags.get(SERVES_TAG) and view.online
    }
    views, served = list(plan.views), {}
    for index, view in enumerate(plan.views):
        ledger = ledgers.get(view.ref_name)  # unpinned references only
        if ledger is not None:
            if ORDER_COUNT not in view.features:  # read beyond the features served
                views[index] = replace(view, features=(*view.features, ORDER_COUNT))
            full = view_plan_of(store, ledger.name, tuple(f.name for f in ledger.features))
            full = replace(full, read_as=f"ledger of {view.key}")
            served[view.key] = LedgerRead(views[index].features.index(ORDER_COUNT), full)
            views.append(full)
    return replace(plan, views=tuple(views)), served


def served_from_ledger(
    stored_rows: list[StoredRow | None],
    ledger_rows: list[StoredRow | None],
    read: LedgerRead,
    served: ViewPlan,
    now: datetime,
) -> list[list[FeatureValue] | FeatureValue]:
    """The served view's values for each entity at ``now``: its stored row while the ledger shows
    it is in force, else computed from the ledger row."""
    now_us = _micros(now)
    width = len(served.features)
    in_force_at = read.in_force_at
    out: list[list[FeatureValue] | FeatureValue] = []
    for stored, ledger_row in zip(stored_rows, ledger_rows, strict=True):
        if ledger_row is not None and not _in_force(
            stored, ledger_row, in_force_at, read.count_at, now_us
        ):
            out.append(_served_row(ledger_row, read.ledger, served, now, now_us))
        elif stored is None:
            out.append(NOT_FOUND)
        else:
            out.append(served_row(stored.event_time, stored.values[:width], served.ttl, now))
    return out


def _in_force(
    stored: StoredRow | None,
    ledger_row: StoredRow,
    in_force_at: tuple[int, ...],
    count_at: int,
    now_us: int,
) -> bool:
    """Whether the stored row is the row in force at ``now_us``: the ledger's row start at that
    instant is the row's event time, and both count the same orders (on Redis an older row never
    replaces a newer one, so a pushed order placed before the stored row's start is not in it)."""
    if stored is None or stored.event_time is None:
        return False
    values = ledger_row.values
    instants_at, last_at, registered_at, ledger_count_at = in_force_at
    last = python_value(values[last_at], lists_as_read=True)
    if last is not None and last > now_us:
        return False
    if python_value(stored.values[count_at]) != (
        python_value(values[ledger_count_at], lists_as_read=True) or 0
    ):
        return False
    columns = {
        "order_instants_us": python_value(values[instants_at], lists_as_read=True) or [],
        "last_order_at_us": last,
        "registered_at_us": python_value(values[registered_at], lists_as_read=True),
    }
    return row_start_us(columns, now_us) == _micros(stored.event_time)


def _served_row(row: StoredRow, ledger: ViewPlan, served: ViewPlan, now: datetime, now_us: int):
    """The served view's values computed from a (present) ledger row at ``now``."""
    columns = {
        name: python_value(value, lists_as_read=True)
        for name, value in zip(ledger.features, row.values, strict=True)
    }
    for name in ORDER_COLUMNS:
        columns[name] = columns.get(name) or []
    last = columns.get("last_order_at_us")
    if last is not None and now_us < last:
        return FeatureValue(None, FeatureStatus.NOT_YET_VALID, _instant(last))
    values = order_stats_at(columns, now_us)
    if values is None:
        return NOT_FOUND
    start = _instant(values["row_start_us"])
    if served.ttl and start < now - served.ttl:
        return FeatureValue(None, FeatureStatus.OUTSIDE_MAX_AGE, start)
    out = []
    for name in served.features:
        value = values[TIME_FEATURES.get(name, name)]
        if name in TIME_FEATURES and value is not None:
            value = _instant(value)
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append(FeatureValue(None, FeatureStatus.NULL_VALUE, start))
        else:
            out.append(FeatureValue(value, FeatureStatus.PRESENT, start))
    return out


def _micros(instant: datetime) -> int:
    return (instant - EPOCH) // timedelta(microseconds=1)


def _instant(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)
