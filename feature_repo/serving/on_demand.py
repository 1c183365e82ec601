"""On-demand features of a lookup: each on-demand view's own function (which calls the shared
transforms in ``feature_repo.transforms``) applied to the served, TTL-masked inputs, as the offline
join feeds it.

Timestamps are handed over as Unix seconds, the transforms' documented convention for numbers:
the same instants, without a pandas conversion per call.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from feast.on_demand_feature_view import OnDemandFeatureView

from feature_repo.serving.decoding import FeatureStatus, FeatureValue

# When an on-demand output is missing, it inherits the most telling status of its inputs.
STATUS_PRECEDENCE = [
    FeatureStatus.OUTSIDE_MAX_AGE,
    FeatureStatus.NOT_YET_VALID,
    FeatureStatus.NOT_FOUND,
    FeatureStatus.NULL_VALUE,
]


def on_demand_values(
    view: OnDemandFeatureView, values: dict[str, list[FeatureValue]], rows: list[dict[str, Any]]
) -> dict[str, list[FeatureValue]]:
    """The view's outputs for every row, from ``values`` (served features by name) and the rows' request fields."""
    input_names = [
        f.name for p in view.source_feature_view_projections.values() for f in p.features
    ]
    inputs: dict[str, list[Any]] = {
        name: [_plain(v.value) for v in values[name]] for name in input_names
    }
    for source in view.source_request_sources.values():
        for field in source.schema:
            inputs[field.name] = [_plain(row[field.name]) for row in rows]
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


def _plain(value: Any) -> Any:
    """An aware datetime as Unix seconds; anything else as it is."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.timestamp()
    return value
