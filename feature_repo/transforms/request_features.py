"""Request-time features: computed when a request arrives, from served features and request data.

Each rule is written once, vectorised (``*_arrays``: array-likes in, float arrays with NaN for
missing out). The on-demand feature views call the list form (``*_features``: one entry per
entity row, ``None`` for missing), which is the same arrays converted; the offline store calls
the vectorised form on whole columns of a training frame. The batch pipeline uses the same
arithmetic (``arithmetic``) for its own columns.

A lookup of one user computes each rule once: ``ONE_ROW_FORMS`` gives, per vectorised form, the
same arithmetic on Python floats (IEEE doubles, as NumPy's float64), without building arrays.
Inputs are floats (NaN for missing); outputs are what the list form gives for that one row.
``tests/test_one_row_forms.py`` requires equal values on random inputs (hypothesis).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import datetime

import pandas as pd

from feature_repo.transforms.arithmetic import (
    SECONDS_PER_DAY,
    FloatArray,
    as_float_array,
    epoch_seconds,
    safe_ratio,
    to_optional_list,
    whole_days_between,
)


def recency_arrays(
    registered_at: Sequence[datetime | None] | pd.Series,
    last_order_at: Sequence[datetime | None] | pd.Series,
    request_time: Sequence[datetime | None] | pd.Series,
) -> dict[str, FloatArray]:
    """``tenure_days`` and ``days_since_last_order`` (whole days, NaN when an input is missing)."""
    now = epoch_seconds(request_time)
    return {
        "tenure_days": whole_days_between(now, epoch_seconds(registered_at)),
        "days_since_last_order": whole_days_between(now, epoch_seconds(last_order_at)),
    }


def checkout_arrays(
    cart_amount: Sequence[float | None] | pd.Series,
    spend_mean_30d: Sequence[float | None] | pd.Series,
) -> dict[str, FloatArray]:
    """Ratio and difference of the cart to the 30-day mean (NaN without a mean)."""
    cart, mean = as_float_array(cart_amount), as_float_array(spend_mean_30d)
    return {
        "cart_amount_vs_mean_30d": safe_ratio(cart, mean),
        "cart_amount_minus_mean_30d": cart - mean,
    }


def recency_features(
    registered_at: Sequence[datetime | None],
    last_order_at: Sequence[datetime | None],
    request_time: Sequence[datetime | None],
) -> dict[str, list]:
    """``tenure_days`` and ``days_since_last_order`` (whole days) as of each request's time.

    Missing inputs (no profile yet, no order yet) give missing outputs.
    """
    arrays = recency_arrays(registered_at, last_order_at, request_time)
    return {name: to_optional_list(values, as_int=True) for name, values in arrays.items()}


def checkout_features(
    cart_amount: Sequence[float | None], spend_mean_30d: Sequence[float | None]
) -> dict[str, list]:
    """How a cart compares with the user's usual order: ratio and difference to the 30-day mean.

    Missing when the user has no order in the last 30 days (no mean to compare with).
    """
    arrays = checkout_arrays(cart_amount, spend_mean_30d)
    return {name: to_optional_list(values) for name, values in arrays.items()}


def recency_row(
    registered_at: float, last_order_at: float, request_time: float
) -> dict[str, int | None]:
    """``recency_features`` of one row, the instants as Unix seconds (NaN when missing)."""
    return {
        "tenure_days": _whole_days(request_time, registered_at),
        "days_since_last_order": _whole_days(request_time, last_order_at),
    }


def checkout_row(cart_amount: float, spend_mean_30d: float) -> dict[str, float | None]:
    """``checkout_features`` of one row (NaN when missing)."""
    ratio = cart_amount / spend_mean_30d if spend_mean_30d == spend_mean_30d != 0 else math.nan
    difference = cart_amount - spend_mean_30d
    return {
        "cart_amount_vs_mean_30d": None if ratio != ratio else ratio,  # NaN is not equal to itself
        "cart_amount_minus_mean_30d": None if difference != difference else difference,
    }


def _whole_days(later: float, earlier: float) -> int | None:
    """``whole_days_between`` of two floats: floored, ``None`` when either is NaN."""
    days = (later - earlier) / SECONDS_PER_DAY
    return None if days != days else math.floor(days)


# the one-row form of each vectorised form (its parameters named alike)
ONE_ROW_FORMS: dict[Callable, Callable[..., dict]] = {
    recency_arrays: recency_row,
    checkout_arrays: checkout_row,
}
