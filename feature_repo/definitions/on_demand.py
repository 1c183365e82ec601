"""On-demand feature views (python mode): features computed at request time.

The arithmetic lives in ``feature_repo.transforms.request_features`` and is shared with the
batch pipeline; these views only wire Feast's inputs to it.

Feast 0.67 compares the declared schema with the one it infers, descriptions and tags
included, so the schema fields carry none; each feature's description and the instant it is
known are kept in the view's tags (``feature_tags``), which the catalogue reads.
Feast stores a python-mode function as source text and runs it without this module's
globals, so each function imports what it calls. Online, Feast runs that function; offline,
the project's DuckDB store runs the vectorised form named in the ``vectorised_transform`` tag
(the same rule, on whole columns), so a training frame of a million rows is not converted to
Python lists.
"""

from typing import Any

from feast import Field
from feast.on_demand_feature_view import on_demand_feature_view
from feast.types import Float64, Int64

from feature_repo.definitions.sources import checkout_cart_source, request_time_source
from feature_repo.definitions.tags import feature_tags, vectorised_tags, view_tags
from feature_repo.definitions.user_features import user_order_stats, user_profile
from feature_repo.transforms.request_features import checkout_arrays, recency_arrays

AT_REQUEST = "request time (computed when the request is made)"


@on_demand_feature_view(
    sources=[
        user_profile[["registered_at"]],
        user_order_stats[["last_order_at"]],
        request_time_source,
    ],
    schema=[
        Field(name="tenure_days", dtype=Int64),
        Field(name="days_since_last_order", dtype=Int64),
    ],
    mode="python",
    description="Recency of the user at the instant of the request.",
    tags={
        **view_tags(personal_data=False),
        **vectorised_tags(recency_arrays),
        **feature_tags(
            "tenure_days", "Whole days since registration at the request time.", AT_REQUEST
        ),
        **feature_tags(
            "days_since_last_order",
            "Whole days since the latest order at the request time; missing with no order.",
            AT_REQUEST,
        ),
    },
)
def user_recency(inputs: dict[str, Any]) -> dict[str, Any]:
    from feature_repo.transforms.request_features import recency_features

    return recency_features(
        inputs["registered_at"], inputs["last_order_at"], inputs["request_time"]
    )


@on_demand_feature_view(
    sources=[user_order_stats[["spend_mean_30d"]], checkout_cart_source],
    schema=[
        Field(name="cart_amount_vs_mean_30d", dtype=Float64),
        Field(name="cart_amount_minus_mean_30d", dtype=Float64),
    ],
    mode="python",
    description="How a cart at checkout compares with the user's usual spend.",
    tags={
        **view_tags(personal_data=False),
        **vectorised_tags(checkout_arrays),
        **feature_tags(
            "cart_amount_vs_mean_30d",
            "Cart amount divided by the user's 30-day mean order amount; missing with no order in 30 days.",
            AT_REQUEST,
        ),
        **feature_tags(
            "cart_amount_minus_mean_30d",
            "Cart amount minus the user's 30-day mean order amount; missing with no order in 30 days.",
            AT_REQUEST,
        ),
    },
)
def checkout_context(inputs: dict[str, Any]) -> dict[str, Any]:
    from feature_repo.transforms.request_features import checkout_features

    return checkout_features(inputs["cart_amount"], inputs["spend_mean_30d"])
