"""Views served from a ledger: when the registry holds a serving-only view tagged
``serves: <view>`` (the order ledger serves ``user_order_stats``), the lean reader reads the ledger
instead of the served view and computes the served view's features at the lookup instant with the
shared transform (``transforms.ledger_windows``), so windows that expired since the last order or
batch run are exact. Stock Feast still reads the served view's stored rows (written by each batch
load and each push): exact as of the last change written, without expiry in between.

The served row follows the offline join's rules: no ledger row (unknown user) or an instant before
registration is NOT_FOUND; an instant before the ledger's latest order is NOT_YET_VALID; a row that
started longer than the served view's TTL ago is OUTSIDE_MAX_AGE. Its event time is the instant the
batch row in force starts (registration, the last order or the last exit from a window).
A pinned reference (``view@vN``) reads the stored rows of that version, as before.
"""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from feast import FeatureStore
from feast.protos.feast.types.Value_pb2 import Value as ValueProto

from feature_repo.serving.decoding import NOT_FOUND, FeatureStatus, FeatureValue, python_value
from feature_repo.serving.plan import ServicePlan, ViewPlan, view_plan_of
from feature_repo.serving.stored_rows import StoredRow
from feature_repo.transforms.ledger_windows import ORDER_COLUMNS, order_stats_at

SERVES_TAG = "serves"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TIME_FEATURES = {"last_order_at": "last_order_at_us"}


def ledger_read_plan(
    store: FeatureStore, plan: ServicePlan
) -> tuple[ServicePlan, dict[int, ViewPlan]]:
    """The plan to read (each served view swapped for its ledger) and the swapped views by position."""
    ledgers = {
        view.tags.get(SERVES_TAG): view
        for view in store.list_feature_views()
        if view.tags.get(SERVES_TAG) and view.online
    }
    views, served = [], {}
    for index, view in enumerate(plan.views):
        ledger = ledgers.get(view.ref_name)  # unpinned references only
        if ledger is None:
            views.append(view)
            continue
        served[index] = view
        views.append(view_plan_of(store, ledger.name, tuple(f.name for f in ledger.features)))
    return replace(plan, views=tuple(views)), served


def served_from_ledger(
    rows: list[StoredRow], ledger: ViewPlan, served: ViewPlan, now: datetime
) -> list[list[FeatureValue] | FeatureValue]:
    """The served view's values for each stored ledger row, at ``now``."""
    now_us = (now - EPOCH) // timedelta(microseconds=1)
    return [_served_row(row, ledger, served, now, now_us) for row in rows]


def _served_row(row: StoredRow, ledger: ViewPlan, served: ViewPlan, now: datetime, now_us: int):
    if row is None:
        return NOT_FOUND
    _, stored = row
    columns = {name: _decoded(value) for name, value in zip(ledger.features, stored, strict=True)}
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


def _decoded(serialized: bytes | None):
    """A stored ledger value: lists read straight from the protobuf, scalars as ``decoding`` reads them."""
    if not serialized:
        return None
    proto = ValueProto.FromString(serialized)
    kind = proto.WhichOneof("val")
    if kind is not None and kind.endswith("_list_val"):
        return getattr(proto, kind).val
    return python_value(serialized)


def _instant(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)
