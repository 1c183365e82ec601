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
    return pd.DataFrame(
        {
            "transaction_id": ordered["transaction_id"],
            "user_id": ordered["user_id"],
            "event_timestamp": placed,
            "amount": ordered["amount"],
            "shipping_costs": ordered["shipping_costs"],
            "discount_coupon_used": ordered["discount_coupon"].astype(bool),
            "discount_coupon_amount": ordered["discount_coupon_amount"].astype(np.int64),
            "net_amount": np.round(
                np.maximum(ordered["amount"] - ordered["discount_coupon_amount"], 0.0), 2
            ),
            "discount_share": safe_ratio(ordered["discount_coupon_amount"], ordered["amount"]),
            "payment_method": ordered["payment_method"],
            "delivery_type": ordered["delivery_type"],
            "order_hour_utc": placed.dt.hour.astype(np.int64),
            "order_day_of_week": placed.dt.dayofweek.astype(np.int64),
            "is_weekend": placed.dt.dayofweek.isin(WEEKEND_DAYS),
            "user_order_number": ordered.groupby("user_id").cumcount().astype(np.int64) + 1,
            "hours_since_previous_order": hours_between(seconds, previous),
            "days_since_registration": whole_days_between(
                seconds, epoch_seconds(registered)
            ).astype(np.int64),
        }
    ).sort_values("transaction_id", ignore_index=True)
