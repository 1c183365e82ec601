"""Request-time features: computed when a request arrives, from served features and request data.

The on-demand feature views call these with lists (one entry per entity row); the batch
pipeline uses the same arithmetic (``arithmetic``) for its own columns.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from feature_repo.transforms.arithmetic import (
    as_float_array,
    epoch_seconds,
    safe_ratio,
    to_optional_list,
    whole_days_between,
)


def recency_features(
    registered_at: Sequence[datetime | None],
    last_order_at: Sequence[datetime | None],
    request_time: Sequence[datetime | None],
) -> dict[str, list]:
    """``tenure_days`` and ``days_since_last_order`` (whole days) as of each request's time.

    Missing inputs (no profile yet, no order yet) give missing outputs.
    """
    now = epoch_seconds(request_time)
    return {
        "tenure_days": to_optional_list(
            whole_days_between(now, epoch_seconds(registered_at)), as_int=True
        ),
        "days_since_last_order": to_optional_list(
            whole_days_between(now, epoch_seconds(last_order_at)), as_int=True
        ),
    }


def checkout_features(
    cart_amount: Sequence[float | None], spend_mean_30d: Sequence[float | None]
) -> dict[str, list]:
    """How a cart compares with the user's usual order: ratio and difference to the 30-day mean.

    Missing when the user has no order in the last 30 days (no mean to compare with).
    """
    cart, mean = as_float_array(cart_amount), as_float_array(spend_mean_30d)
    return {
        "cart_amount_vs_mean_30d": to_optional_list(safe_ratio(cart, mean)),
        "cart_amount_minus_mean_30d": to_optional_list(cart - mean),
    }
