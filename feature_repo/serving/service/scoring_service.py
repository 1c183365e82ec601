"""An example scoring service for checkouts, built on the serving module.

    uvicorn feature_repo.serving.service.scoring_service:app --host 127.0.0.1 --port 8000 --workers 2

``POST /score/checkout`` with ``{"user_id": 123151, "cart_amount": 35.0}`` (and optionally
``"as_of"``, an ISO instant, to replay a past moment) answers with the features the checkout
model read, their statuses and a coupon-offer score. The score is a stand-in for a real model:
a fixed logistic formula, documented here so that tests can compute it independently.
An unknown user is scored with ``DEFAULT_SCORE`` and ``known_user: false``.
``POST /get-online-features`` serves any feature service in the JSON shape of Feast's feature
server, through the same lean reader (``feature_server_route``). ``POST /push-orders`` pushes new
orders (``push_route``). ``POST /score/churn`` scores users with the registered churn model and
logs what it served (``churn_route``).
"""

from __future__ import annotations

import math
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI, HTTPException
from pydantic import AwareDatetime, BaseModel, Field, StrictInt

from feature_repo.serving.errors import OnlineStoreUnavailableError, ServingError
from feature_repo.serving.lookup.checkout import (
    CheckoutFeatures,
    checkout_reader,
    features_for_checkout,
)
from feature_repo.serving.lookup.online_features import freeze_long_lived_objects
from feature_repo.serving.service.auth import checkout_caller
from feature_repo.serving.service.churn_route import router as churn_router
from feature_repo.serving.service.feature_server_route import router as feature_server_router
from feature_repo.serving.service.gc_pauses import time_gc_pauses
from feature_repo.serving.service.operations_route import install_operations
from feature_repo.serving.service.push_route import router as push_router

DEFAULT_SCORE = 0.5  # a user the store knows nothing about


class CheckoutRequest(BaseModel):
    user_id: StrictInt = Field(description="users.user_id")
    cart_amount: float = Field(gt=0, description="Amount of the cart at checkout.")
    as_of: AwareDatetime | None = Field(
        default=None, description="Instant to score at (default: now)."
    )


class CheckoutScore(BaseModel):
    user_id: int
    known_user: bool
    coupon_offer_score: float
    features: dict[str, Any]
    statuses: dict[str, str]


def coupon_offer_score(features: CheckoutFeatures) -> float:
    """Higher for users who order less than usual, with carts above their mean, and who like coupons."""
    if not features.known_user:
        return DEFAULT_SCORE
    logit = (
        0.5
        - 0.08 * (features.order_count_30d or 0)
        + 0.6 * (features.cart_amount_vs_mean_30d or 1.0)
        - 0.6
    )
    logit += 1.5 * (features.coupon_rate_30d or 0.0)
    return 1.0 / (1.0 + math.exp(-logit))


@asynccontextmanager
async def _lifespan(app: FastAPI):
    time_gc_pauses()  # the worker's collections from its start-up on, in /metrics
    checkout_reader()  # resolve the registry once, before the first request
    freeze_long_lived_objects()
    yield


app = FastAPI(title="Checkout scoring (example)", lifespan=_lifespan)
app.include_router(feature_server_router)  # POST /get-online-features, Feast's JSON shape
app.include_router(push_router)  # POST /push-orders: new orders, visible online at once
app.include_router(churn_router)  # POST /score/churn: the registered churn model
install_operations(app)  # GET /healthz, /readyz, /metrics; request metrics


@app.post("/score/checkout", response_model=CheckoutScore, dependencies=[Depends(checkout_caller)])
def score_checkout(request: CheckoutRequest) -> CheckoutScore:
    try:
        features = features_for_checkout(request.user_id, request.cart_amount, now=request.as_of)
    except OnlineStoreUnavailableError as error:
        raise HTTPException(status_code=503, detail=str(error)) from error
    except ServingError as error:
        raise HTTPException(status_code=422, detail=str(error)) from error
    return CheckoutScore(
        user_id=features.user_id,
        known_user=features.known_user,
        coupon_offer_score=coupon_offer_score(features),
        features={name: getattr(features, name) for name in CheckoutFeatures.feature_names()},
        statuses={name: status.value for name, status in features.statuses.items()},
    )
