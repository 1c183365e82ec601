"""Online lookups through a feature service, with the offline join's rules applied online.

Feast 0.67 returns an online value older than its view's TTL with status PRESENT, while
``get_historical_features`` returns null for it: training/serving skew. This reader asks Feast
for the views' features with their event times, turns values outside the TTL into explicit
missing values (status ``OUTSIDE_MAX_AGE``), and then computes the service's on-demand features
from the masked inputs, so that a lookup at instant *t* sees what a training row at *t* sees.

Values are returned by name (Feast's response order changes between processes), each with a
status and the event time of the row it came from.
"""

from __future__ import annotations

import gc
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from feast import FeatureStore
from feast.errors import FeatureServiceNotFoundException, FeatureViewNotFoundException
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.type_map import feast_value_type_to_python_type
from feast.value_type import ValueType

from feature_repo.online.translation import online_store_errors
from feature_repo.serving.errors import (
    InvalidEntityError,
    MissingRequestDataError,
    UnknownFeatureServiceError,
)

REQUEST_TIME = "request_time"  # filled with the lookup instant when the caller leaves it out


class FeatureStatus(StrEnum):
    """Why a value is what it is; the first four are Feast's own statuses."""

    PRESENT = "PRESENT"
    NULL_VALUE = "NULL_VALUE"  # the row exists, the value is missing (e.g. a mean over no order)
    NOT_FOUND = "NOT_FOUND"  # no row for this entity (an unknown user, or none materialized)
    OUTSIDE_MAX_AGE = "OUTSIDE_MAX_AGE"  # older than the view's TTL: missing, as offline
    NOT_YET_VALID = "NOT_YET_VALID"  # the stored row starts after the lookup instant


FEAST_STATUS = {
    1: FeatureStatus.PRESENT,
    2: FeatureStatus.NULL_VALUE,
    3: FeatureStatus.NOT_FOUND,
    4: FeatureStatus.OUTSIDE_MAX_AGE,
}
# When an on-demand output is missing, it inherits the most telling status of its inputs.
STATUS_PRECEDENCE = [
    FeatureStatus.OUTSIDE_MAX_AGE,
    FeatureStatus.NOT_YET_VALID,
    FeatureStatus.NOT_FOUND,
    FeatureStatus.NULL_VALUE,
]
PYTHON_TYPES = {ValueType.INT64: int, ValueType.INT32: int, ValueType.STRING: str}


@dataclass(frozen=True)
class FeatureValue:
    """One served value: ``None`` whenever the status is not PRESENT."""

    value: Any
    status: FeatureStatus
    event_time: datetime | None = None


@dataclass(frozen=True)
class _ServicePlan:
    """What one feature service needs, resolved once from the registry."""

    output_names: tuple[str, ...]
    view_features: dict[
        str, tuple[str, ...]
    ]  # view -> features to read (outputs and on-demand inputs)
    view_ttls: dict[str, timedelta | None]
    on_demand_views: tuple[OnDemandFeatureView, ...]
    join_keys: dict[str, ValueType]
    request_fields: tuple[str, ...]


def freeze_long_lived_objects() -> None:
    """Move every object allocated so far (modules, registry, store clients, resolved plans) out
    of the garbage collector's reach, once a serving process is warm: full collections then scan
    only new objects. In stock Feast they are the p99 spikes (FEAST_NOTES: 101 -> 22 ms)."""
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
        projections = (
            _service_projections(store, service_name)
            if service_name
            else _ref_projections(store, feature_refs)
        )
        self.plan = _plan(store, projections)

    def read(
        self, entity_rows: Sequence[Mapping[str, Any]], now: datetime | None = None
    ) -> list[dict[str, FeatureValue]]:
        """Features of each entity row as of ``now`` (default: the current instant, UTC)."""
        now = (now or datetime.now(UTC)).astimezone(UTC)
        rows = [self._checked(row, now) for row in _non_empty(entity_rows, self.service_name)]
        values = self._view_values(rows, now)
        for view in self.plan.on_demand_views:
            values.update(_on_demand_values(view, values, rows))
        return [
            {name: values[name][i] for name in self.plan.output_names} for i in range(len(rows))
        ]

    def _checked(self, row: Mapping[str, Any], now: datetime) -> dict[str, Any]:
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
            checked[key] = value
        for field in self.plan.request_fields:
            if field in row:
                checked[field] = row[field]
            elif field == REQUEST_TIME:
                checked[field] = now
            else:
                raise MissingRequestDataError(
                    f"{self.service_name} needs the request field '{field}' in every entity row "
                    f"(an on-demand view computes from it); got {sorted(row)}."
                )
        return checked

    def _view_values(
        self, rows: list[dict[str, Any]], now: datetime
    ) -> dict[str, list[FeatureValue]]:
        refs = [
            f"{view}:{feature}"
            for view, features in self.plan.view_features.items()
            for feature in features
        ]
        entity_rows = [{key: row[key] for key in self.plan.join_keys} for row in rows]
        with online_store_errors(self.store):
            response = self.store.get_online_features(
                features=refs, entity_rows=entity_rows, full_feature_names=True
            )
        names = list(response.proto.metadata.feature_names.val)
        values: dict[str, list[FeatureValue]] = {}
        event_times: dict[tuple[int, int], datetime | None] = {}  # a view's features share theirs
        for view, features in self.plan.view_features.items():
            ttl = self.plan.view_ttls[view]
            for feature in features:
                result = response.proto.results[names.index(f"{view}__{feature}")]
                values[feature] = [
                    _served_value(value, status, _event_time(stamp, event_times), ttl, now)
                    for value, status, stamp in zip(
                        result.values, result.statuses, result.event_timestamps, strict=True
                    )
                ]
        return values


def _non_empty(
    entity_rows: Sequence[Mapping[str, Any]], service_name: str
) -> Sequence[Mapping[str, Any]]:
    if isinstance(entity_rows, Mapping) or not entity_rows:
        raise InvalidEntityError(
            f"{service_name}: expected a non-empty list of entity rows (dicts), got {entity_rows!r}."
        )
    return entity_rows


def _event_time(timestamp, known: dict[tuple[int, int], datetime | None]) -> datetime | None:
    """The instant of a protobuf timestamp (None when unset), converted once per distinct value."""
    key = (timestamp.seconds, timestamp.nanos)
    if key not in known:
        known[key] = datetime.fromtimestamp(key[0] + key[1] / 1e9, tz=UTC) if key[0] else None
    return known[key]


def _served_value(
    value_proto, status: int, event_time: datetime | None, ttl: timedelta | None, now: datetime
) -> FeatureValue:
    feast_status = FEAST_STATUS.get(status, FeatureStatus.NOT_FOUND)
    if feast_status is FeatureStatus.NOT_FOUND:
        return FeatureValue(None, FeatureStatus.NOT_FOUND)
    if event_time is not None and event_time > now:
        return FeatureValue(None, FeatureStatus.NOT_YET_VALID, event_time)
    if event_time is not None and ttl and event_time < now - ttl:
        return FeatureValue(None, FeatureStatus.OUTSIDE_MAX_AGE, event_time)
    value = feast_value_type_to_python_type(value_proto)
    if value is None or feast_status is FeatureStatus.NULL_VALUE:
        return FeatureValue(None, FeatureStatus.NULL_VALUE, event_time)
    return FeatureValue(value, FeatureStatus.PRESENT, event_time)


def _on_demand_values(
    view: OnDemandFeatureView, values: dict[str, list[FeatureValue]], rows: list[dict[str, Any]]
) -> dict[str, list[FeatureValue]]:
    """The view's outputs, computed by its own function from masked inputs (as the offline join feeds it)."""
    input_names = [
        f.name for p in view.source_feature_view_projections.values() for f in p.features
    ]
    inputs: dict[str, list[Any]] = {name: [v.value for v in values[name]] for name in input_names}
    for source in view.source_request_sources.values():
        for field in source.schema:
            inputs[field.name] = [row[field.name] for row in rows]
    outputs = view.feature_transformation.udf(inputs)
    computed = {}
    for feature in view.features:
        column = []
        for i, value in enumerate(outputs[feature.name]):
            if value is not None:
                column.append(FeatureValue(value, FeatureStatus.PRESENT))
                continue
            statuses = {values[name][i].status for name in input_names}
            inherited = next(
                (s for s in STATUS_PRECEDENCE if s in statuses), FeatureStatus.NULL_VALUE
            )
            column.append(FeatureValue(None, inherited))
        computed[feature.name] = column
    return computed


def _service_projections(store: FeatureStore, service_name: str) -> list[tuple[str, list[str]]]:
    try:
        service = store.get_feature_service(service_name)
    except FeatureServiceNotFoundException:
        known = sorted(s.name for s in store.list_feature_services())
        raise UnknownFeatureServiceError(
            f"Unknown feature service '{service_name}'; expected one of {known}."
        ) from None
    return [
        (p.name_to_use(), [f.name for f in p.features]) for p in service.feature_view_projections
    ]


def _ref_projections(
    store: FeatureStore, feature_refs: Sequence[str]
) -> list[tuple[str, list[str]]]:
    """``view:feature`` references, each checked against the registry."""
    available = {v.name: {f.name for f in v.features} for v in store.list_feature_views()}
    available |= {
        v.name: {f.name for f in v.features} for v in store.list_on_demand_feature_views()
    }
    projections: dict[str, list[str]] = {}
    for ref in feature_refs:
        view, _, feature = ref.partition(":")
        if view not in available or feature not in available[view]:
            known = sorted(available.get(view, [])) or sorted(available)
            what = (
                f"feature '{feature}' of view '{view}'" if view in available else f"view '{view}'"
            )
            raise UnknownFeatureServiceError(
                f"Unknown {what} in '{ref}' (expected 'view:feature'); known: {known}."
            )
        projections.setdefault(view, []).append(feature)
    return list(projections.items())


def _plan(store: FeatureStore, projections: list[tuple[str, list[str]]]) -> _ServicePlan:
    odfv_names = {v.name for v in store.list_on_demand_feature_views()}
    view_features: dict[str, list[str]] = {}
    on_demand, request_fields, outputs = [], [], []
    for name, features in projections:
        outputs += features
        if name in odfv_names:
            view = store.get_on_demand_feature_view(name)
            on_demand.append(view)
            for source in view.source_feature_view_projections.values():
                view_features.setdefault(source.name, [])
                view_features[source.name] += [f.name for f in source.features]
            request_fields += [
                f.name for s in view.source_request_sources.values() for f in s.schema
            ]
        else:
            view_features.setdefault(name, [])
            view_features[name] += features
    views = {name: resolve_feature_view(store, name) for name in view_features}
    join_keys = {
        col.name: col.dtype.to_value_type()
        for view in views.values()
        for col in view.entity_columns
    }
    return _ServicePlan(
        output_names=tuple(outputs),
        view_features={
            name: tuple(dict.fromkeys(features)) for name, features in view_features.items()
        },
        view_ttls={name: view.ttl or None for name, view in views.items()},
        on_demand_views=tuple(on_demand),
        join_keys=join_keys,
        request_fields=tuple(dict.fromkeys(request_fields)),
    )


def resolve_feature_view(store: FeatureStore, name: str):
    """A view by name, or a pinned version of it (``view@vN``)."""
    base, _, version = name.partition("@v")
    try:
        if version:
            return store.registry.get_feature_view_by_version(base, store.project, int(version))
        return store.get_feature_view(base)
    except (FeatureViewNotFoundException, ValueError, KeyError):
        raise UnknownFeatureServiceError(
            f"Feature view '{name}' is not in the registry: run `feast apply`."
        ) from None
