"""Online lookups through a feature service, with the offline join's rules applied online.

Feast 0.67 returns an online value older than its view's TTL with status PRESENT, while
``get_historical_features`` returns null for it: training/serving skew. This reader turns values
outside the TTL into explicit missing values (status ``OUTSIDE_MAX_AGE``) and then computes the
service's on-demand features from the masked inputs, so that a lookup at instant *t* sees what a
training row at *t* sees.

It reads the online store directly, in Feast's layout (``plan``: what to read, resolved once;
``store_readers``: one round trip per store; ``decoding``: values asked for, TTL per row;
``on_demand``: request-time features), so stock Feast and this reader read the same data.
Values are returned by name, each with a status and the event time of the row it came from.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from feast import FeatureStore
from feast.value_type import ValueType

from feature_repo.core.timestamps import utc_datetime
from feature_repo.online.translation import online_store_errors
from feature_repo.serving.decoding import NOT_FOUND, FeatureStatus, FeatureValue, served_row
from feature_repo.serving.entity_keys import EntityKeyEncoder
from feature_repo.serving.errors import (
    InvalidEntityError,
    MissingRequestDataError,
)
from feature_repo.serving.lookup.ledger_reads import ledger_read_plan, served_from_ledger
from feature_repo.serving.lookup.on_demand import OnDemandInputs, on_demand_values
from feature_repo.serving.plan import ServicePlan, resolve_feature_view, service_plan
from feature_repo.serving.readers.store_readers import store_reader
from feature_repo.serving.stored_rows import RowsByView

__all__ = [
    "REQUEST_TIME",
    "FeatureStatus",
    "FeatureValue",
    "OnlineFeatureReader",
    "freeze_long_lived_objects",
    "resolve_feature_view",
]

REQUEST_TIME = "request_time"  # filled with the lookup instant when the caller leaves it out
PYTHON_TYPES = {ValueType.INT64: int, ValueType.INT32: int, ValueType.STRING: str}
INT_RANGES = {ValueType.INT64: (-(2**63), 2**63 - 1), ValueType.INT32: (-(2**31), 2**31 - 1)}
INSTANTS = (datetime(1970, 1, 1, tzinfo=UTC), datetime(2262, 4, 11, tzinfo=UTC))  # Unix time, ns
UNREACHABLE_HINT = "Lookups succeed again once it is (no restart needed)."


def freeze_long_lived_objects() -> None:
    """Move every object allocated so far (modules, registry, store clients, resolved plans) out
    of the garbage collector's reach, once a serving process is warm: full collections then scan
    only new objects. In stock Feast they are the p99 spikes (measured with stock Feast: p99 101 -> 22 ms).
    Every start-up step that builds long-lived objects ends with it (the scoring service: the
    checkout reader, the feature server's readers, the churn model), since a step after the last
    freeze leaves its objects to every full collection."""
    gc.collect()
    gc.freeze()


class OnlineFeatureReader:
    """Reads a feature service online, one typed ``FeatureValue`` per feature name."""

    def __init__(
        self, store: FeatureStore, service_name: str | None = None, feature_refs: Sequence[str] = ()
    ) -> None:
        """Read a feature service by name, or explicit ``view:feature`` references."""
        if (service_name is None) == (not feature_refs):
            raise ValueError("pass either a feature service name or feature references")
        self.store = store
        self.service_name = service_name or ", ".join(feature_refs)
        self.plan: ServicePlan = service_plan(store, service_name, feature_refs)
        # what is read: the plan's views, then the ledgers of those served from a ledger
        self._read_plan, self._ledgers = ledger_read_plan(store, self.plan)
        self._on_demand = [OnDemandInputs.of(view) for view in self.plan.on_demand_views]
        self._encoders = {  # by view key
            v.key: EntityKeyEncoder(v.join_keys, self.plan.join_keys) for v in self._read_plan.views
        }
        with online_store_errors(store, UNREACHABLE_HINT):
            self._reader = store_reader(store, self._read_plan)

    def read(
        self, entity_rows: Sequence[Mapping[str, Any]], now: datetime | None = None
    ) -> list[dict[str, FeatureValue]]:
        """Features of each entity row as of ``now`` (default: the current instant; naive: UTC)."""
        now = _in_range(now or datetime.now(UTC), "the lookup instant (as_of)")
        rows = [self._checked(row, now) for row in _non_empty(entity_rows, self.service_name)]
        values = self._view_values(rows, now)
        for inputs in self._on_demand:
            values.update(on_demand_values(inputs, values, rows))
        names = self.plan.output_names
        columns = [values[name] for name in names]  # each row's dict built in C, not per name
        return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]

    def _checked(self, row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
        if not isinstance(row, Mapping):
            raise InvalidEntityError(
                f"{self.service_name}: each entity row must be a dict of join keys; got {row!r}."
            )
        checked = {}
        for key, value_type in self.plan.join_keys.items():
            if key not in row:
                raise InvalidEntityError(
                    f"{self.service_name} needs the join key '{key}' in every entity row; got {sorted(row)}."
                )
            expected = PYTHON_TYPES.get(value_type)
            value = row[key]
            if expected and (not isinstance(value, expected) or isinstance(value, bool)):
                raise InvalidEntityError(
                    f"'{key}' must be {value_type.name} ({expected.__name__}); got {value!r} ({type(value).__name__})."
                )
            low, high = INT_RANGES.get(value_type, (value, value))
            if not low <= value <= high:
                raise InvalidEntityError(
                    f"'{key}' must be {value_type.name}: {value!r} is out of range."
                )
            checked[key] = value
        for field in self.plan.request_fields:
            if field in row:
                value = row[field]
                checked[field] = _in_range(value, field) if isinstance(value, datetime) else value
            elif field == REQUEST_TIME:
                checked[field] = now
            else:
                raise MissingRequestDataError(
                    f"{self.service_name} needs the request field '{field}' in every entity row "
                    f"(an on-demand view computes from it); got {sorted(row)}."
                )
        return checked

    def stored_rows(self, rows: Sequence[Mapping[str, Any]]) -> RowsByView:
        """The stored rows of the entity rows' keys, by view key, not decoded: the store's part
        of a lookup (the benchmark times it apart from decoding and computing)."""
        encoded: dict[tuple[str, ...], list[bytes]] = {}  # views with the same join keys share them
        keys = {}
        for view_key, encoder in self._encoders.items():
            if encoder.join_keys not in encoded:
                encoded[encoder.join_keys] = [encoder.encode(row) for row in rows]
            keys[view_key] = encoded[encoder.join_keys]
        try:
            return self._reader.read(keys)
        except Exception:
            # translated (once, per backend, in feature_repo.online) when it is the store's
            with online_store_errors(self.store, UNREACHABLE_HINT):
                raise

    def _view_values(
        self, rows: list[dict[str, Any]], now: datetime
    ) -> dict[str, Sequence[FeatureValue]]:
        stored = self.stored_rows(rows)
        values: dict[str, Sequence[FeatureValue]] = {}
        for view in self.plan.views:
            width = len(view.features)
            read = self._ledgers.get(view.key)
            if read is not None:
                rows_served = served_from_ledger(
                    stored[view.key], stored[read.ledger.key], read, view, now
                )
            else:
                rows_served = [
                    NOT_FOUND if r is None else served_row(r.event_time, r.values, view.ttl, now)
                    for r in stored[view.key]
                ]
            served = [
                [one] * width if isinstance(one, FeatureValue) else one for one in rows_served
            ]
            values.update(zip(view.features, zip(*served, strict=True), strict=True))
        return values


def _non_empty(
    entity_rows: Sequence[Mapping[str, Any]], service_name: str
) -> Sequence[Mapping[str, Any]]:
    if isinstance(entity_rows, Mapping) or not entity_rows or isinstance(entity_rows, (str, bytes)):
        raise InvalidEntityError(
            f"{service_name}: expected a non-empty list of entity rows (dicts), got {entity_rows!r}."
        )
    return entity_rows


def _in_range(moment: datetime, what: str) -> datetime:
    """``moment`` in UTC, if within ``INSTANTS`` (the stores keep Unix time; pandas nanoseconds)."""
    try:
        instant = utc_datetime(moment)
    except OverflowError:
        instant = None
    if instant is None or not INSTANTS[0] <= instant <= INSTANTS[1]:
        raise InvalidEntityError(
            f"{what}: {moment.isoformat()} is outside {INSTANTS[0]:%Y-%m-%d} to {INSTANTS[1]:%Y-%m-%d}."
        )
    return instant
