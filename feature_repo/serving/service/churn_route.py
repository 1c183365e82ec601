"""``POST /score/churn`` on the scoring service: churn probabilities from the registered model.

    {"user_ids": [123151, 118004], "as_of": "2020-10-30T12:00:00Z"}     (as_of optional: now)

Answers the model (name, version, feature service) and, per user, the probability, whether the
store knows the user, the features the model read and their statuses: one round trip to the store
for all users (``churn.ChurnScorer``). The model is loaded when the service starts
(``DELIVERY_FS_CHURN_MODEL`` / ``DELIVERY_FS_CHURN_MODEL_VERSION``, default: the latest
``churn_model``); without one the route answers 503 saying to run ``delivery-fs train``, and the
rest of the service works.

What was served is logged (``served_log``) at the rate of the feature service's ``LoggingConfig``
(``DELIVERY_FS_LOG_SAMPLE_RATE`` overrides it; 0 turns logging off), in batches written every
``DELIVERY_FS_LOG_FLUSH_SECONDS`` (default 5) by a background thread. A request's id is its
``X-Request-ID`` header, or a new one; it is sent back in the same header.

With ``auth: oidc`` the caller needs READ_ONLINE on the model's feature service and every view it
reads (for ``churn_model_v1``: ``serving`` and ``pii-reader``).
"""

from __future__ import annotations

import logging
import os
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from feast.permissions.user import User
from pydantic import AwareDatetime, BaseModel, Field, StrictInt

from feature_repo.core.errors import FeatureStoreError
from feature_repo.serving.errors import OnlineStoreUnavailableError, ServingError
from feature_repo.serving.lookup.churn import ChurnScorer, churn_scorer
from feature_repo.serving.lookup.online_features import freeze_long_lived_objects
from feature_repo.serving.lookup.served_log import ServedFeatureLog
from feature_repo.serving.service.auth import authenticated_caller, authorize_lookup
from feature_repo.serving.service.service_metrics import IN_FLIGHT

SAMPLE_RATE_ENV, FLUSH_ENV = "DELIVERY_FS_LOG_SAMPLE_RATE", "DELIVERY_FS_LOG_FLUSH_SECONDS"
MAX_USERS = 1000
log = logging.getLogger(__name__)


class ChurnRequest(BaseModel):
    user_ids: list[StrictInt] = Field(
        min_length=1, max_length=MAX_USERS, description="users.user_id of each user to score."
    )
    as_of: AwareDatetime | None = Field(
        default=None, description="Instant to score at (default: now)."
    )


class ModelInfo(BaseModel):
    name: str
    version: str
    feature_service: str


class UserChurnScore(BaseModel):
    user_id: int
    known_user: bool
    churn_probability: float
    features: dict[str, Any]
    statuses: dict[str, str]


class ChurnResponse(BaseModel):
    model: ModelInfo
    scores: list[UserChurnScore]


class _Loaded:
    """What the worker loaded at start-up: the scorer and its log, or why there is none."""

    scorer: ChurnScorer | None = None
    served_log: ServedFeatureLog | None = None
    problem: str = "the service has not started"


def _load() -> None:
    try:
        scorer = churn_scorer()
    except Exception as error:  # noqa: BLE001 - the other routes must start whatever the model does
        problem = str(error) if isinstance(error, FeatureStoreError) else repr(error)
        _Loaded.scorer, _Loaded.problem = None, problem
        log.warning("POST /score/churn is unavailable: %s", problem)
        return
    _Loaded.scorer = scorer
    service = scorer.reader.store.get_feature_service(scorer.model.record.feature_service)
    config = service.logging_config
    rate = float(os.environ.get(SAMPLE_RATE_ENV) or (config.sample_rate if config else 0.0))
    if config is not None and rate > 0:
        _Loaded.served_log = ServedFeatureLog(
            scorer.reader.store, service, scorer.reader.plan.output_views,
            scorer.reader.plan.output_names, sample_rate=rate,
            flush_seconds=float(os.environ.get(FLUSH_ENV) or 5.0), idle=IN_FLIGHT.idle,
        ).start()  # fmt: skip


@asynccontextmanager
async def _model_lifespan(app):
    _load()
    # the model's load imports MLflow, scikit-learn and SciPy (~200,000 objects) after the earlier
    # start-up steps froze theirs: left to the collector, every full collection scanned them
    # (12 pauses of up to 50 ms a minute under load)
    freeze_long_lived_objects()
    yield
    if _Loaded.served_log is not None:
        _Loaded.served_log.stop()


router = APIRouter(lifespan=_model_lifespan)


def _scorer() -> ChurnScorer:
    if _Loaded.scorer is None:
        raise HTTPException(503, f"/score/churn: no churn model is loaded: {_Loaded.problem}")
    return _Loaded.scorer


async def _churn_caller(
    caller: Annotated[User | None, Depends(authenticated_caller)],
) -> User | None:
    authorize_lookup(caller, _scorer().model.record.feature_service, [])
    return caller


@router.post("/score/churn", response_model=ChurnResponse, dependencies=[Depends(_churn_caller)])
def score_churn(body: ChurnRequest, request: Request, response: Response) -> ChurnResponse:
    scorer = _scorer()
    now = body.as_of or datetime.now(UTC)
    try:
        rows = scorer.read(body.user_ids, now=now)
        scores = scorer.score_rows(body.user_ids, rows)
    except OnlineStoreUnavailableError as error:
        raise HTTPException(status_code=503, detail=str(error)) from error
    except ServingError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    record = scorer.model.record
    request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
    response.headers["X-Request-ID"] = request_id
    if _Loaded.served_log is not None:
        entity_rows = [{"user_id": user, "request_time": now} for user in body.user_ids]
        _Loaded.served_log.record(
            entity_rows, rows, [s.probability for s in scores], record.version, request_id
        )
    return ChurnResponse(
        model=ModelInfo(
            name=record.name, version=str(record.version), feature_service=record.feature_service
        ),
        scores=[
            UserChurnScore(
                user_id=s.user_id,
                known_user=s.known_user,
                churn_probability=s.probability,
                features=s.features,
                statuses={name: status.value for name, status in s.statuses.items()},
            )
            for s in scores
        ],
    )
