"""On-demand features of a training frame, computed on whole columns.

Feast 0.67 runs a python-mode on-demand view offline by converting the whole retrieved table to
Python lists (``to_pydict``), calling the row-wise function and converting back; on a million
rows that dominates ``get_historical_features``. A view tagged with ``vectorised_transform``
(``module:function``) names the vectorised form of the same rule: its parameters are named after
the view's inputs, it takes pandas Series and returns one float array per feature (NaN for
missing). Here it runs on the columns of the Arrow table, and the results get the view's declared
types (missing stays null, as the row-wise path's ``None`` does). Views without the tag are left
to Feast.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable

import numpy as np
import pyarrow as pa
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.types import from_feast_to_pyarrow_type

from feature_repo.definitions.tags import VECTORISED_TAG

VectorisedTransform = Callable[..., dict[str, np.ndarray]]


def vectorised_transform(view: OnDemandFeatureView) -> VectorisedTransform | None:
    """The vectorised function named in the view's tags, or ``None`` without the tag."""
    target = (view.tags or {}).get(VECTORISED_TAG)
    if not target:
        return None
    module, _, name = target.partition(":")
    return getattr(importlib.import_module(module), name)


def split_by_vectorised(
    views: Iterable[OnDemandFeatureView],
) -> tuple[list[OnDemandFeatureView], list[OnDemandFeatureView]]:
    """(views with a vectorised form, views Feast runs itself)."""
    views = list(views)
    return (
        [v for v in views if vectorised_transform(v)],
        [v for v in views if not vectorised_transform(v)],
    )


def append_on_demand_columns(
    table: pa.Table,
    view: OnDemandFeatureView,
    full_feature_names: bool,
    requested: set[str] | None,
) -> pa.Table:
    """``table`` with the view's features appended (only ``requested`` names, when given), named
    as Feast names them (``view__feature`` with full feature names)."""
    function = vectorised_transform(view)
    assert function is not None
    inputs = {
        name: table.column(_input_column(table, view, name)).to_pandas()
        for name in inspect.signature(function).parameters
    }
    outputs = function(**inputs)
    for feature in view.features:
        column = (
            f"{view.projection.name_to_use()}__{feature.name}"
            if full_feature_names
            else feature.name
        )
        if requested is not None and column not in requested:
            continue
        arrow_type = from_feast_to_pyarrow_type(feature.dtype)
        table = table.append_column(column, _typed(outputs[feature.name], arrow_type))
    return table


def _input_column(table: pa.Table, view: OnDemandFeatureView, name: str) -> str:
    """The column holding input ``name``: its short name, or ``view__name`` of a source view."""
    if name in table.column_names:
        return name
    for projection in view.source_feature_view_projections.values():
        full = f"{projection.name}__{name}"
        if full in table.column_names:
            return full
    raise KeyError(
        f"on-demand view {view.name!r}: input {name!r} is not a column of the retrieved table"
    )


def _typed(values: np.ndarray, arrow_type: pa.DataType) -> pa.Array:
    """Float results with NaN as null, in the declared Arrow type."""
    values = np.asarray(values, dtype=np.float64)
    missing = np.isnan(values)
    if pa.types.is_integer(arrow_type):
        return pa.array(np.where(missing, 0, values).astype(np.int64), mask=missing).cast(
            arrow_type
        )
    return pa.array(values, mask=missing).cast(arrow_type)
