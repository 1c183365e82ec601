"""Routes for operators: ``GET /healthz``, ``GET /readyz`` and ``GET /metrics``, and the request
metrics' middleware (``install_operations(app)`` adds both to the scoring service, and documents
the answers its JSON routes share).

- ``/healthz``: 200 while the process answers (liveness: restart the worker otherwise).
- ``/readyz``: 200 when the registry is loaded and the online store answers a lookup; 503 naming
  what failed otherwise (readiness: send no traffic meanwhile).
- ``/metrics``: Prometheus' text format (``service_metrics``, ``online_freshness``); across
  workers with ``PROMETHEUS_MULTIPROC_DIR`` (docs/operations.md, "Operating the scoring service").

The three are public (``auth.PUBLIC_ROUTES``): probes and scrapers carry no token, and none of them
returns feature values. Serve the service on an internal network, as usual for ``/metrics``.
"""

from __future__ import annotations

from functools import lru_cache

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST
from pydantic import BaseModel

from feature_repo.core.errors import FeatureStoreError
from feature_repo.serving.lookup.checkout import default_store, features_for_checkout
from feature_repo.serving.lookup.online_freshness import OnlineFreshness
from feature_repo.serving.lookup.shared_answers import document_shared_answers
from feature_repo.serving.service.service_metrics import RequestMetrics, metrics_text

PROBE_USER = 0  # a user id no data set has: the probe reads the store and finds nothing

router = APIRouter(tags=["operations"])


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    feature_services: int


class NotReady(BaseModel):
    detail: str


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
    return Health(status="alive")


@router.get(
    "/readyz",
    response_model=Readiness,
    responses={503: {"model": NotReady, "description": "Registry or online store unavailable."}},
)
def readyz():
    try:
        services = default_store().list_feature_services()
    except FeatureStoreError as error:
        return JSONResponse({"detail": f"registry not loaded: {error}"}, status_code=503)
    try:
        features_for_checkout(PROBE_USER, 1.0)
    except FeatureStoreError as error:
        return JSONResponse({"detail": f"online store: {error}"}, status_code=503)
    return Readiness(status="ready", feature_services=len(services))


@lru_cache(maxsize=1)
def _freshness() -> OnlineFreshness:
    return OnlineFreshness(default_store())


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text."}},
)
def metrics() -> Response:
    return Response(metrics_text(_freshness()), media_type=CONTENT_TYPE_LATEST)


def install_operations(app: FastAPI) -> None:
    """The three routes, the middleware counting and timing every request, and the answers every
    JSON route shares written into the OpenAPI document (``shared_answers``)."""
    app.include_router(router)
    app.add_middleware(RequestMetrics)
    document_shared_answers(app)
