"""On-demand features of a lookup: each on-demand view's own function (which calls the shared
transforms in ``feature_repo.transforms``) applied to the served, TTL-masked inputs, as the offline
join feeds it.

Timestamps are handed over as Unix seconds (a missing one as NaN), the transforms' documented
convention for numbers: the same instants, without a pandas conversion per call. A lookup of one
row whose inputs are all numbers (or missing) runs the rule's one-row form
(``request_features.ONE_ROW_FORMS``), which gives the same values without arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from feast.on_demand_feature_view import OnDemandFeatureView
from feast.types import UnixTimestamp

from feature_repo.core.timestamps import utc_datetime
from feature_repo.offline.on_demand import vectorised_transform
from feature_repo.serving.decoding import FeatureStatus, FeatureValue
from feature_repo.transforms.request_features import ONE_ROW_FORMS

EXACT_FLOAT_INT = 2**53  # integers up to this size are the same number as floats

# When an on-demand output is missing, it inherits the most telling status of its inputs.
STATUS_PRECEDENCE = [
    FeatureStatus.OUTSIDE_MAX_AGE,
    FeatureStatus.NOT_YET_VALID,
    FeatureStatus.NOT_FOUND,
    FeatureStatus.NULL_VALUE,
]


@dataclass(frozen=True)
class OnDemandInputs:
    """What an on-demand view computes from, resolved once: served features and request fields,
    each with whether it is a timestamp (handed over as Unix seconds), and the one-row form of
    its rule, if it has one."""

    view: OnDemandFeatureView
    features: tuple[tuple[str, bool], ...]
    request_fields: tuple[tuple[str, bool], ...]
    one_row: Callable[..., dict] | None = None

    @classmethod
    def of(cls, view: OnDemandFeatureView) -> OnDemandInputs:
        vectorised = vectorised_transform(view)
        return cls(
            view,
            tuple(
                (f.name, f.dtype == UnixTimestamp)
                for p in view.source_feature_view_projections.values()
                for f in p.features
            ),
            tuple(
                (f.name, f.dtype == UnixTimestamp)
                for s in view.source_request_sources.values()
                for f in s.schema
            ),
            ONE_ROW_FORMS.get(vectorised) if vectorised is not None else None,
        )


def on_demand_values(
    inputs: OnDemandInputs, values: dict[str, Sequence[FeatureValue]], rows: list[dict[str, Any]]
) -> dict[str, list[FeatureValue]]:
    """The view's outputs for every row, from ``values`` (served features by name) and the rows' request fields."""
    given: dict[str, list[Any]] = {}
    for name, is_time in inputs.features:
        served = [v.value for v in values[name]]
        given[name] = _seconds(served) if is_time else served
    for name, is_time in inputs.request_fields:
        sent = [row[name] for row in rows]
        given[name] = _seconds(sent) if is_time else sent
    outputs = _one_row_outputs(inputs.one_row, given) if inputs.one_row and len(rows) == 1 else None
    if outputs is None:
        outputs = inputs.view.feature_transformation.udf(given)
    computed = {}
    for feature in inputs.view.features:
        column = []
        for i, value in enumerate(outputs[feature.name]):
            if value is not None:
                column.append(FeatureValue(value, FeatureStatus.PRESENT))
                continue
            statuses = {values[name][i].status for name, _ in inputs.features}
            inherited = next(
                (s for s in STATUS_PRECEDENCE if s in statuses), FeatureStatus.NULL_VALUE
            )
            column.append(FeatureValue(None, inherited))
        computed[feature.name] = column
    return computed


def _one_row_outputs(one_row: Callable[..., dict], given: dict[str, list[Any]]) -> dict | None:
    """The view's outputs for one row through its rule's one-row form, or ``None`` when an input
    is not a plain number or missing (a string, a bool, an infinity, a huge integer: the general
    path reads those as the arrays do)."""
    numbers = {}
    for name, (value,) in given.items():
        kind = type(value)
        if value is None:
            value = math.nan
        elif kind is int and -EXACT_FLOAT_INT <= value <= EXACT_FLOAT_INT:
            value = float(value)
        elif kind is not float or value in (math.inf, -math.inf):
            return None
        numbers[name] = value
    return {name: [value] for name, value in one_row(**numbers).items()}


def _seconds(instants: list[Any]) -> list[Any]:
    """Datetimes as Unix seconds (naive ones taken as UTC) and missing ones (None, NaT) as NaN;
    anything else (an ISO string, already seconds) as it is, for the transforms to read."""
    return [
        math.nan
        if value is None or value != value  # NaT is not equal to itself
        else utc_datetime(value).timestamp()
        if isinstance(value, datetime)
        else value
        for value in instants
    ]
