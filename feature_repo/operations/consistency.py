"""`delivery-fs skew-check`: online values against point-in-time offline values for the same instant.

Online values are read with the serving module (so a value past its TTL counts as missing, as
the offline join sees it); offline values come from ``get_historical_features`` at the same
instant. Any difference is training/serving skew.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import pandas as pd
from feast import FeatureStore

from feature_repo.core.errors import FeatureStoreError
from feature_repo.repository.store import require_applied
from feature_repo.serving.lookup.online_features import (
    REQUEST_TIME,
    OnlineFeatureReader,
    resolve_feature_view,
)
from feature_repo.training.frames import training_frame

DEFAULT_REQUEST_VALUE = 1.0  # other request fields: any value, as both sides receive the same
EXAMPLES_KEPT = 3


class SkewCheckError(FeatureStoreError):
    """The comparison cannot be made (for instance, a view was never materialized)."""


@dataclass
class FeatureSkew:
    feature: str
    compared: int = 0
    mismatches: int = 0
    examples: list[tuple[object, object, object]] = field(
        default_factory=list
    )  # (entity, offline, online)

    @property
    def rate(self) -> float:
        return self.mismatches / self.compared if self.compared else 0.0


@dataclass(frozen=True)
class SkewReport:
    """A comparison of ``service`` at ``as_of`` over ``entity_ids``: one ``FeatureSkew`` per feature."""

    service: str
    as_of: datetime
    entity_ids: list[int]
    features: list[FeatureSkew]

    @property
    def skewed(self) -> list[FeatureSkew]:
        return [skew for skew in self.features if skew.mismatches]


def values_equal(offline: object, online: object) -> bool:
    """Equal, with every kind of missing (None, NaN, NaT) equal to each other and numbers to 1e-9."""
    if _missing(offline) or _missing(online):
        return _missing(offline) and _missing(online)
    if isinstance(offline, (int, float, np.number)) and not isinstance(offline, bool):
        return math.isclose(float(offline), float(online), rel_tol=1e-9, abs_tol=1e-9)
    if isinstance(offline, pd.Timestamp) and isinstance(online, datetime):
        return offline == pd.Timestamp(online)
    return offline == online


def _missing(value: object) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def last_materialized(store: FeatureStore, service_name: str) -> datetime:
    """The instant up to which every view of the service has been materialized (the safe comparison point)."""
    reader = OnlineFeatureReader(store, service_name)
    ends = [
        resolve_feature_view(store, view).most_recent_end_time for view in reader.plan.view_features
    ]
    if any(end is None for end in ends):
        raise SkewCheckError(
            f"{service_name}: some of its views were never materialized; nothing to compare. "
            "Run `delivery-fs backfill-online` (or `feast materialize`) first, or pass --as-of."
        )
    return min(ends)


def skew_check(
    store: FeatureStore, service_name: str, entity_ids: list[int], as_of: datetime
) -> list[FeatureSkew]:
    """Per-feature comparison of online and offline values of ``entity_ids`` at ``as_of``."""
    reader = OnlineFeatureReader(store, service_name)
    (join_key,) = reader.plan.join_keys
    request = {
        name: DEFAULT_REQUEST_VALUE for name in reader.plan.request_fields if name != REQUEST_TIME
    }
    rows = pd.DataFrame(
        {
            join_key: entity_ids,
            "event_timestamp": pd.Timestamp(as_of),
            REQUEST_TIME: pd.Timestamp(as_of),
            **request,
        }
    )
    offline = training_frame(store, rows, service_name)
    online = reader.read(
        [{join_key: i, REQUEST_TIME: as_of, **request} for i in entity_ids], now=as_of
    )
    report = {name: FeatureSkew(name) for name in reader.plan.output_names}
    for position, served in enumerate(online):
        for name, skew in report.items():
            skew.compared += 1
            expected = offline.at[position, name]
            if not values_equal(expected, served[name].value):
                skew.mismatches += 1
                if len(skew.examples) < EXAMPLES_KEPT:
                    skew.examples.append((entity_ids[position], expected, served[name].value))
    return list(report.values())


def sample_entities(store: FeatureStore, service_name: str, size: int, seed: int) -> list[int]:
    """Up to ``size`` entity ids drawn from the offline source of the service's first view."""
    reader = OnlineFeatureReader(store, service_name)
    (join_key,) = reader.plan.join_keys
    first_view = resolve_feature_view(store, next(iter(reader.plan.view_features)))
    ids = pd.read_parquet(first_view.batch_source.path, columns=[join_key])[
        join_key
    ].drop_duplicates()
    return ids.sample(min(size, len(ids)), random_state=seed).sort_values().tolist()


def compare_service(
    store: FeatureStore, service_name: str, size: int, seed: int, as_of: datetime | None = None
) -> SkewReport:
    """Sample ``size`` entities and compare them at ``as_of`` (default: the last materialization)."""
    require_applied(store)
    moment = as_of or last_materialized(store, service_name)
    ids = sample_entities(store, service_name, size, seed)
    return SkewReport(service_name, moment, ids, skew_check(store, service_name, ids, moment))
