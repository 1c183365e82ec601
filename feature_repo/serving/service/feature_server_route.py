"""``POST /get-online-features`` in the JSON shape of Feast's feature server, served by the lean
reader (TTL applied as offline, on-demand features computed from the masked inputs).

Request: ``{"feature_service": "churn_model_v1"}`` or ``{"features": ["view:feature", ...]}``,
``"entities": {"user_id": [...], "request_time": [...], "cart_amount": [...]}`` (request fields
beside the join keys, as ``feast serve`` takes them), optionally ``"full_feature_names": true`` and,
beyond Feast's shape, ``"as_of"`` (an ISO instant to look up at; default now). Naive instants
(``as_of``, ``request_time``) are UTC.
Response: ``{"metadata": {"feature_names": [...]}, "results": [{"values", "statuses",
"event_timestamps"}, ...]}``, join keys first, one result per name. Statuses are Feast's names
plus ``NOT_YET_VALID``; a timestamp feature is in Unix seconds, as Feast's server sends it.

With ``auth: oidc`` the caller needs a valid bearer token (401) and READ_ONLINE on the service and on
every view it reads, or on every view of the listed references (403 naming the resource and role).
Bad input answers 422 and an unreachable store 503, each with a ``detail`` naming the service,
feature or store; never a traceback. Each worker resolves the readers of every feature service
when it starts (``_warm_readers``), not on its first request.
"""

from __future__ import annotations

import json
from contextlib import asynccontextmanager, suppress
from datetime import datetime
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from feast.permissions.user import User

from feature_repo.core.errors import FeatureStoreError
from feature_repo.serving.errors import (
    InvalidEntityError,
    OnlineStoreUnavailableError,
    ServingError,
)
from feature_repo.serving.lookup.online_features import (
    REQUEST_TIME,
    FeatureValue,
    OnlineFeatureReader,
    freeze_long_lived_objects,
)
from feature_repo.serving.service.auth import authenticated_caller, authorize_lookup
from feature_repo.serving.service.feature_server_schema import REQUEST_BODY, RESPONSES

NO_TIME = "1970-01-01T00:00:00Z"


@asynccontextmanager
async def _warm_readers(app):
    """Before a worker's first request: resolve a reader per feature service of the registry, then
    move what that allocated out of the garbage collector's reach. Left to the first request, the
    resolution allocates ~200,000 objects after the service's start-up freeze, and the worker's
    next full collection scans them all: a stall of 200-400 ms under load (wrk, 50 clients)."""
    from feature_repo.serving.lookup.checkout import default_store

    try:
        services = [service.name for service in default_store().list_feature_services()]
    except FeatureStoreError:  # the first request answers with the error
        services = []
    for service in services:
        with suppress(FeatureStoreError, ValueError):  # the request for it answers with the error
            reader_of(service, ())
    freeze_long_lived_objects()
    yield


router = APIRouter(lifespan=_warm_readers)


@lru_cache(maxsize=64)
def reader_of(service: str | None, features: tuple[str, ...]) -> OnlineFeatureReader:
    """A reader per service (or list of references), resolved once per process."""
    from feature_repo.serving.lookup.checkout import default_store

    return OnlineFeatureReader(default_store(), service, features)


@router.post(
    "/get-online-features", openapi_extra={"requestBody": REQUEST_BODY}, responses=RESPONSES
)  # the body is read by hand; feature_server_schema documents its shape
async def get_online_features(
    request: Request, caller: Annotated[User | None, Depends(authenticated_caller)]
) -> Response:
    try:
        body = json.loads(await request.body())
    except ValueError as error:
        return JSONResponse(
            {"detail": f"/get-online-features: the body is not JSON ({error})."}, 422
        )
    try:
        service, features = requested(body)
        authorize_lookup(caller, service, list(features))
        answer = lookup(body)
    except OnlineStoreUnavailableError as error:
        return JSONResponse({"detail": str(error)}, status_code=503)
    except (ServingError, ValueError, TypeError, AttributeError) as error:
        return JSONResponse({"detail": f"/get-online-features: {error}"}, status_code=422)
    return Response(json.dumps(answer, default=_json_value), media_type="application/json")


def requested(body: Any) -> tuple[str | None, tuple[str, ...]]:
    """The feature service or the feature references a request body asks for."""
    if not isinstance(body, dict) or not isinstance(body.get("entities"), dict):
        raise InvalidEntityError('expected a JSON object with "entities": {"<join key>": [...]}')
    service, features = body.get("feature_service"), body.get("features") or ()
    if bool(service) == bool(features):
        raise InvalidEntityError('give either "feature_service" or "features", not both or none')
    if not isinstance(service or "", str) or not (
        isinstance(features, list | tuple) and all(isinstance(f, str) for f in features)
    ):
        raise InvalidEntityError(
            '"feature_service" is a name and "features" a list of "view:feature" references'
        )
    return service, tuple(features)


def lookup(body: dict[str, Any]) -> dict[str, Any]:
    """The response of one request body (a dict in the feature server's shape)."""
    service, features = requested(body)
    reader = reader_of(service, features)
    columns: dict[str, list] = body["entities"]
    sizes = {len(v) if isinstance(v, list) else -1 for v in columns.values()}
    if len(sizes) != 1 or -1 in sizes:
        raise InvalidEntityError(
            f"{reader.service_name}: every entity column must be a list, all of one length; "
            f"got { ({k: type(v).__name__ for k, v in columns.items()}) }."
        )
    rows = [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]
    for row in rows:
        if isinstance(row.get(REQUEST_TIME), str):
            row[REQUEST_TIME] = _instant(row[REQUEST_TIME])
    as_of = _instant(body["as_of"]) if body.get("as_of") else None
    served = reader.read(rows, now=as_of)
    plan = reader.plan
    names = [
        f"{view.split('@')[0]}__{name}" if body.get("full_feature_names") else name
        for view, name in zip(plan.output_views, plan.output_names, strict=True)
    ]
    keys = list(plan.join_keys)
    results = [
        {"values": columns[k], "statuses": ["PRESENT"] * len(rows), "event_timestamps": [NO_TIME] * len(rows)}
        for k in keys
    ]  # fmt: skip
    for name in plan.output_names:
        results.append(_result([row[name] for row in served]))
    return {"metadata": {"feature_names": keys + names}, "results": results}


def _result(values: list[FeatureValue]) -> dict[str, list]:
    return {
        "values": [v.value for v in values],
        "statuses": [v.status.value for v in values],
        "event_timestamps": [
            v.event_time.strftime("%Y-%m-%dT%H:%M:%SZ") if v.event_time else NO_TIME for v in values
        ],
    }


def _instant(text: str) -> datetime:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, AttributeError):
        raise InvalidEntityError(f"expected an ISO-8601 instant, got {text!r}") from None


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return int(value.timestamp())
    raise TypeError(f"cannot send {type(value).__name__} as JSON")
