"""The OpenAPI description of ``POST /get-online-features``, whose body the route reads by hand (Feast's
JSON shape, checked in ``feature_server_route.requested`` and ``lookup``): these models document
that shape, so that clients and the fuzzer (schemathesis) see it, without changing what is accepted
or how it is refused.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class OnlineFeaturesRequest(BaseModel):
    """Either ``feature_service`` or ``features``, and the entity columns (join keys and request
    fields, one list each, all of one length)."""

    feature_service: str | None = Field(default=None, description="A feature service's name.")
    features: list[str] | None = Field(default=None, description='"view:feature" references.')
    entities: dict[str, list[Any]] = Field(
        description='Columns by name, e.g. {"user_id": [112312], "cart_amount": [35.0]}.'
    )
    full_feature_names: bool = Field(default=False, description='Names as "view__feature".')
    as_of: str | None = Field(
        default=None, description="ISO instant to look up at (default: now; naive: UTC)."
    )


class FeatureMetadata(BaseModel):
    feature_names: list[str]


class FeatureResult(BaseModel):
    values: list[Any]
    statuses: list[str]
    event_timestamps: list[str]


class OnlineFeaturesResponse(BaseModel):
    metadata: FeatureMetadata
    results: list[FeatureResult] = Field(description="One per name: join keys first.")


class ErrorDetail(BaseModel):
    detail: str


REQUEST_BODY = {
    "required": True,
    "content": {"application/json": {"schema": OnlineFeaturesRequest.model_json_schema()}},
}
RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": OnlineFeaturesResponse, "description": "Feature values, Feast's shape."},
    422: {"model": ErrorDetail, "description": "Bad body: names the service, feature or field."},
    503: {"model": ErrorDetail, "description": "The online store is unreachable."},
}
