"""Features of one transaction, known at the instant it is placed.

Only the transaction itself and the same user's earlier (or same-instant, lower-id)
transactions are used, so nothing depends on the future.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from feature_repo.transforms.arithmetic import (
    epoch_seconds,
    hours_between,
    safe_ratio,
    whole_days_between,
)

WEEKEND_DAYS = (5, 6)  # Saturday, Sunday (Monday is 0)


def transaction_features_table(users: pd.DataFrame, transactions: pd.DataFrame) -> pd.DataFrame:
    """Rows for the ``transaction_features`` view, from typed users and transactions.

    Columns: transaction_id, user_id, event_timestamp, amount, shipping_costs,
    discount_coupon_used, discount_coupon_amount, net_amount, discount_share, payment_method,
    delivery_type, order_hour_utc, order_day_of_week, is_weekend, user_order_number,
    hours_since_previous_order, days_since_registration.
    """
    ordered = transactions.sort_values(
        ["user_id", "transaction_date", "transaction_id"], ignore_index=True
    )
    placed = ordered["transaction_date"]
    seconds = epoch_seconds(placed)
    same_user = ordered["user_id"].eq(ordered["user_id"].shift())
    previous = np.where(same_user.to_numpy(), np.r_[np.nan, seconds[:-1]], np.nan)
    registered = ordered["user_id"].map(users.set_index("user_id")["registration_date"])
    computed = order_feature_columns(
        ordered["amount"].to_numpy(), ordered["discount_coupon"].to_numpy(),
        ordered["discount_coupon_amount"].to_numpy(), pd.DatetimeIndex(placed),
        seconds, previous, epoch_seconds(registered),
    )  # fmt: skip
    return pd.DataFrame(
        {
            "transaction_id": ordered["transaction_id"],
            "user_id": ordered["user_id"],
            "event_timestamp": placed,
            "amount": ordered["amount"],
            "shipping_costs": ordered["shipping_costs"],
            "discount_coupon_used": computed["discount_coupon_used"],
            "discount_coupon_amount": computed["discount_coupon_amount"],
            "net_amount": computed["net_amount"],
            "discount_share": computed["discount_share"],
            "payment_method": ordered["payment_method"],
            "delivery_type": ordered["delivery_type"],
            "order_hour_utc": computed["order_hour_utc"],
            "order_day_of_week": computed["order_day_of_week"],
            "is_weekend": computed["is_weekend"],
            "user_order_number": ordered.groupby("user_id").cumcount().astype(np.int64) + 1,
            "hours_since_previous_order": computed["hours_since_previous_order"],
            "days_since_registration": computed["days_since_registration"],
        }
    ).sort_values("transaction_id", ignore_index=True)


def order_feature_columns(
    amount: np.ndarray,
    discount_coupon: np.ndarray,
    discount_coupon_amount: np.ndarray,
    placed: pd.DatetimeIndex,
    seconds: np.ndarray,
    previous_seconds: np.ndarray,
    registered_seconds: np.ndarray,
) -> dict[str, np.ndarray]:
    """The computed features of each order (element-wise, pure), from its own fields, its instant
    (``placed``, and as Unix ``seconds``), its user's previous order (``previous_seconds``, NaN
    for the first) and registration: the rule of the batch table and of pushed orders alike."""
    day_of_week = placed.dayofweek.to_numpy()
    return {
        "discount_coupon_used": discount_coupon.astype(bool),
        "discount_coupon_amount": discount_coupon_amount.astype(np.int64),
        "net_amount": np.round(np.maximum(amount - discount_coupon_amount, 0.0), 2),
        "discount_share": safe_ratio(discount_coupon_amount, amount),
        "order_hour_utc": placed.hour.to_numpy().astype(np.int64),
        "order_day_of_week": day_of_week.astype(np.int64),
        "is_weekend": np.isin(day_of_week, WEEKEND_DAYS),
        "hours_since_previous_order": hours_between(seconds, previous_seconds),
        "days_since_registration": whole_days_between(seconds, registered_seconds).astype(np.int64),
    }
