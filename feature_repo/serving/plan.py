"""What a feature service needs online, resolved once from the registry: for each feature view its
online name (Feast's versioned name), join keys, features to read and TTL; the on-demand views and
the request fields they compute from; and the names the caller gets back.

The views are resolved as Feast's ``get_online_features`` resolves them (``feature_views_to_use``,
through ``feast_internals``), so that pinned (``view@vN``) and unpinned references name the tables
and hash fields that stock Feast reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from feast import FeatureStore
from feast.errors import FeatureServiceNotFoundException, FeatureViewNotFoundException
from feast.infra.online_stores.helpers import compute_versioned_name
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.value_type import ValueType

from feature_repo.core.feast_internals import feature_views_to_use
from feature_repo.core.feature_refs import (
    FeatureRefError,
    parse_feature_ref,
    parse_view_name,
    versioned_view,
)
from feature_repo.serving.errors import UnknownFeatureServiceError


@dataclass(frozen=True)
class ViewPlan:
    """One feature view as the online store holds it."""

    ref_name: str  # as referenced: "user_order_stats" or "user_order_stats@v0"
    online_name: str  # Feast's versioned name: hash field prefix, table and item name
    view: object  # the FeatureView with its projection
    join_keys: tuple[str, ...]
    features: tuple[str, ...]  # read: the outputs and the on-demand inputs
    ttl: timedelta | None
    read_as: str = (
        ""  # the key of its stored rows when it is not ``ref_name`` (a ledger read for a view)
    )

    @property
    def key(self) -> str:
        """What its stored rows are keyed by (``stored_rows.RowsByView``): unique in a read plan."""
        return self.read_as or self.ref_name


@dataclass(frozen=True)
class ServicePlan:
    """What one feature service (or list of references) needs, resolved once."""

    output_names: tuple[str, ...]
    output_views: tuple[str, ...]  # the view of each output, for full names (view__feature)
    views: tuple[ViewPlan, ...]
    on_demand_views: tuple[OnDemandFeatureView, ...]
    join_keys: dict[str, ValueType]
    request_fields: tuple[str, ...]

    @property
    def view_features(self) -> dict[str, tuple[str, ...]]:
        return {view.ref_name: view.features for view in self.views}

    @property
    def view_ttls(self) -> dict[str, timedelta | None]:
        return {view.ref_name: view.ttl for view in self.views}


def service_plan(
    store: FeatureStore, service_name: str | None, feature_refs: Sequence[str] = ()
) -> ServicePlan:
    """The plan of a service by name, or of explicit ``view:feature`` references."""
    projections = (
        _service_projections(store, service_name)
        if service_name
        else _ref_projections(store, feature_refs)
    )
    odfv_names = {v.name for v in store.list_on_demand_feature_views()}
    view_features: dict[str, list[str]] = {}
    on_demand, request_fields, outputs, output_views = [], [], [], []
    for name, features in projections:
        outputs += features
        output_views += [name] * len(features)
        if name in odfv_names:
            view = store.get_on_demand_feature_view(name)
            on_demand.append(view)
            for source in view.source_feature_view_projections.values():
                view_features.setdefault(source.name, []).extend(f.name for f in source.features)
            request_fields += [
                f.name for s in view.source_request_sources.values() for f in s.schema
            ]
        else:
            view_features.setdefault(name, []).extend(features)
    views = _view_plans(store, {k: tuple(dict.fromkeys(v)) for k, v in view_features.items()})
    join_keys = {
        col.name: col.dtype.to_value_type() for plan in views for col in plan.view.entity_columns
    }
    return ServicePlan(
        output_names=tuple(outputs),
        output_views=tuple(output_views),
        views=views,
        on_demand_views=tuple(on_demand),
        join_keys=join_keys,
        request_fields=tuple(dict.fromkeys(request_fields)),
    )


def _view_plans(store: FeatureStore, view_features: dict[str, tuple[str, ...]]):
    for name in view_features:
        resolve_feature_view(store, name)  # a clear error for an unknown view or version
    refs = [f"{name}:{feature}" for name, features in view_features.items() for feature in features]
    resolved, _ = feature_views_to_use(store.registry, store.project, refs)
    by_name = {view.projection.name_to_use(): view for view in resolved}
    versioned = store.config.registry.enable_online_feature_view_versioning
    return tuple(
        ViewPlan(
            ref_name=name,
            online_name=compute_versioned_name(by_name[name], versioned),
            view=by_name[name],
            join_keys=tuple(col.name for col in by_name[name].entity_columns),
            features=features,
            ttl=by_name[name].ttl or None,
        )
        for name, features in view_features.items()
    )


def view_plan_of(store: FeatureStore, name: str, features: tuple[str, ...]) -> ViewPlan:
    """The plan of one view read for ``features``."""
    return _view_plans(store, {name: features})[0]


def resolve_feature_view(store: FeatureStore, name: str):
    """A view by name, or a pinned version of it (``view@vN``)."""
    try:
        base, version = parse_view_name(name)
        if version is not None:
            return store.registry.get_feature_view_by_version(base, store.project, version)
        return store.get_feature_view(base)
    except (FeatureRefError, FeatureViewNotFoundException, ValueError, KeyError):
        raise UnknownFeatureServiceError(
            f"Feature view '{name}' is not in the registry: run `feast apply`."
        ) from None


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
        try:
            parsed = parse_feature_ref(ref)
        except FeatureRefError as error:
            raise UnknownFeatureServiceError(str(error)) from None
        view, feature = versioned_view(parsed.view, parsed.version), parsed.feature
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
