"""Versions of feature views as Feast's registry records them (Feast 0.67's alpha version tracking)."""

from __future__ import annotations

from feast import FeatureStore


def active_version(store: FeatureStore, view_name: str) -> int:
    """The version number currently served for ``view_name`` (0 before any schema change)."""
    view = _any_view(store, view_name)
    if view is not None and getattr(view, "current_version_number", None) is not None:
        return int(view.current_version_number)
    versions = store.list_feature_view_versions(view_name)
    return max((v["version_number"] for v in versions), default=0)


def _any_view(store: FeatureStore, view_name: str):
    for listing in (store.list_feature_views, store.list_on_demand_feature_views):
        for view in listing():
            if view.name == view_name:
                return view
    return None
