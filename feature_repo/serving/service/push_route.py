"""``POST /push-orders`` on the scoring service: new orders pushed as they happen, one result per
order (``applied``, ``duplicate``, ``late``, ``rejected`` with the field at fault, or ``failed``).

    {"orders": [{"transaction_id": 1, "user_id": 112312, "amount": 20.5, "shipping_costs": 1.99,
                 "discount_coupon": 0, "discount_coupon_amount": 0, "payment_method": "Cash",
                 "transaction_date": "2020-11-01T10:00:00Z", "delivery_type": "Pizza"}]}

Answers 200 with the results, or 503 with them when the online store failed for some orders
(pushing the batch again applies each of those once). With ``auth: oidc`` the caller must be allowed
to write the views the push writes (``admin``).
"""

from __future__ import annotations

from collections import Counter
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends, HTTPException, Request
from pydantic import BaseModel, Field

from feature_repo.push.service import WRITTEN_VIEWS, OrderPusher
from feature_repo.serving.lookup.checkout import default_store
from feature_repo.serving.service.auth import writer_caller
from feature_repo.serving.service.service_metrics import count_pushes

router = APIRouter()


class PushOrdersRequest(BaseModel):
    orders: list[dict[str, Any]] = Field(
        min_length=1, description="Orders in the tutorial's transaction columns."
    )


class PushOrdersResponse(BaseModel):
    counts: dict[str, int]
    results: list[dict[str, Any]]


@lru_cache(maxsize=1)
def _pusher() -> OrderPusher:
    return OrderPusher(default_store())


async def _push_caller(request: Request):
    return await writer_caller(request, list(WRITTEN_VIEWS))


@router.post(
    "/push-orders", response_model=PushOrdersResponse, dependencies=[Depends(_push_caller)]
)
def push_orders(request: PushOrdersRequest) -> PushOrdersResponse:
    results = _pusher().push(request.orders, "request")
    count_pushes(results)
    answer = PushOrdersResponse(
        counts=dict(Counter(str(r.status) for r in results)),
        results=[r.as_dict() for r in results],
    )
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise HTTPException(
            status_code=503,
            detail={
                "message": f"{len(failed)} order(s) not applied: {failed[0].reason}",
                **answer.model_dump(),
            },
        )
    return answer
