"""A second, deliberately naive way to compute the served features, straight from the raw tables.

Row by row, in plain Python: filter the user's transactions to the window, count and add.
The tests compare Feast's point-in-time joins with it.
"""

from __future__ import annotations

import math
from collections import Counter

import pandas as pd

from feature_repo.transforms.order_stats import WINDOW_DAYS

PROFILE_COLUMNS = {
    "gender": "gender",
    "neighborhood": "neighborhoods",
    "service_type": "type_service",
    "registration_channel": "registration_channel",
    "operating_system": "system_operation",
}


def _age(born: pd.Timestamp, at: pd.Timestamp) -> int:
    return at.year - born.year - ((at.month, at.day) < (born.month, born.day))


def _window_values(window: pd.DataFrame, days: int) -> dict[str, object]:
    count = len(window)
    spend = round(sum(window["amount"]), 2)
    types = Counter(window["delivery_type"])
    top = sorted(types.items(), key=lambda kv: (-kv[1], kv[0]))[0][0] if types else None
    return {
        f"order_count_{days}d": count,
        f"spend_sum_{days}d": spend,
        f"spend_mean_{days}d": spend / count if count else math.nan,
        f"shipping_costs_sum_{days}d": round(sum(window["shipping_costs"]), 2),
        f"coupon_count_{days}d": int(window["discount_coupon"].sum()),
        f"coupon_rate_{days}d": window["discount_coupon"].sum() / count if count else math.nan,
        f"discount_amount_sum_{days}d": int(window["discount_coupon_amount"].sum()),
        f"top_delivery_type_{days}d": top,
    }


def expected_user_features(
    users: pd.DataFrame, transactions: pd.DataFrame, user_id: int, at: pd.Timestamp
) -> dict:
    """Every churn-model feature of ``user_id`` as known at instant ``at`` (None/NaN where unknown)."""
    user = users.set_index("user_id").loc[user_id]
    registered = user["registration_date"]
    if at < registered:  # nothing is known about a user before they register
        return {}
    mine = transactions[
        (transactions["user_id"] == user_id) & (transactions["transaction_date"] <= at)
    ]
    values: dict[str, object] = {
        "age_years": _age(user["birth_date"], at),
        **{feature: user[column] for feature, column in PROFILE_COLUMNS.items()},
        "tenure_days": math.floor((at - registered) / pd.Timedelta(days=1)),
        "lifetime_order_count": len(mine),
        "last_order_at": mine["transaction_date"].max() if len(mine) else None,
        "days_since_last_order": (
            math.floor((at - mine["transaction_date"].max()) / pd.Timedelta(days=1))
            if len(mine)
            else None
        ),
    }
    for days in WINDOW_DAYS:
        window = mine[mine["transaction_date"] > at - pd.Timedelta(days=days)]
        values.update(_window_values(window, days))
    return values


def _missing(value: object) -> bool:
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def same_value(expected: object, actual: object) -> bool:
    """Equal, with missing == missing (None, NaN, NaT) and numbers compared to 1e-9."""
    if _missing(expected) or _missing(actual):
        return _missing(expected) and _missing(actual)
    if isinstance(expected, (int, float)) and not isinstance(expected, bool):
        return math.isclose(float(expected), float(actual), rel_tol=1e-9, abs_tol=1e-9)
    return expected == actual
