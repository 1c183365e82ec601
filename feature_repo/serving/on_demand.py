"""On-demand features of a lookup: each on-demand view's own function (which calls the shared
transforms in ``feature_repo.transforms``) applied to the served, TTL-masked inputs, as the offline
join feeds it.

Timestamps are handed over as Unix seconds (a missing one as NaN), the transforms' documented
convention for numbers: the same instants, without a pandas conversion per call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from feast.on_demand_feature_view import OnDemandFeatureView
from feast.types import UnixTimestamp

from feature_repo.serving.decoding import FeatureStatus, FeatureValue

# When an on-demand output is missing, it inherits the most telling status of its inputs.
STATUS_PRECEDENCE = [
    FeatureStatus.OUTSIDE_MAX_AGE,
    FeatureStatus.NOT_YET_VALID,
    FeatureStatus.NOT_FOUND,
    FeatureStatus.NULL_VALUE,
]


def on_demand_values(
    view: OnDemandFeatureView, values: dict[str, Sequence[FeatureValue]], rows: list[dict[str, Any]]
) -> dict[str, list[FeatureValue]]:
    """The view's outputs for every row, from ``values`` (served features by name) and the rows' request fields."""
    input_names = [
        f.name for p in view.source_feature_view_projections.values() for f in p.features
    ]
    inputs: dict[str, list[Any]] = {}
    for projection in view.source_feature_view_projections.values():
        for field in projection.features:
            served = [v.value for v in values[field.name]]
            inputs[field.name] = _seconds(served) if field.dtype == UnixTimestamp else served
    for source in view.source_request_sources.values():
        for field in source.schema:
            given = [row[field.name] for row in rows]
            inputs[field.name] = _seconds(given) if field.dtype == UnixTimestamp else given
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


def _seconds(instants: list[Any]) -> list[Any]:
    """Aware datetimes as Unix seconds and missing ones as NaN; anything else (an ISO string, a
    naive datetime, already seconds) as it is, for the transforms to read."""
    return [
        math.nan
        if value is None
        else value.timestamp()
        if isinstance(value, datetime) and value.tzinfo is not None
        else value
        for value in instants
    ]
