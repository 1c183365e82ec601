"""Synthetic raw data in the tutorial's format, deterministic for a seed.

Users follow the category shares of the tutorial's ``users.csv``; transactions follow what the
tutorial's notebook shows (count, date range, about a fifth of users without orders), with
meal-time peaks, per-user favourite food categories and payment habits, and a few split
orders placed in the same second (equal timestamps are real and the pipeline must handle them).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd

from feature_repo.core import raw_format as tf

SECONDS_PER_DAY = 86_400
SPLIT_ORDER_SHARE = 0.004  # orders placed in the same second as the user's previous one
BASE_PRICE_BY_DELIVERY_TYPE = {
    "Chicken": 22.0, "Pizza": 24.0, "Burgers": 19.0, "Sushi": 38.0, "Mexican": 21.0,
    "Chinese": 23.0, "Italian": 29.0, "Salads": 15.0, "Indian": 26.0, "Thai": 25.0,
    "Breakfast": 14.0, "Desserts": 12.0, "Vegan": 20.0, "Seafood": 41.0,
}  # fmt: skip
NORMAL_SHIPPING_COSTS = np.array([1.99, 2.99, 3.99, 4.99, 5.99])
NORMAL_SHIPPING_WEIGHTS = np.array([0.15, 0.35, 0.25, 0.15, 0.10])
COUPON_AMOUNTS = np.array([3, 5, 8, 10, 15])


@dataclass(frozen=True)
class RawTables:
    """The two raw tables, with the tutorial's columns and types."""

    users: pd.DataFrame
    transactions: pd.DataFrame


def _draw(rng: np.random.Generator, counts: dict, size: int) -> np.ndarray:
    """Draw ``size`` categories with the shares given by ``counts`` (or shares)."""
    labels = np.array(list(counts.keys()), dtype=object)
    weights = np.array(list(counts.values()), dtype=float)
    return labels[rng.choice(len(labels), size=size, p=weights / weights.sum())]


def _registration_days(rng: np.random.Generator, size: int) -> np.ndarray:
    """Registration dates as datetime64[D], with the tutorial's monthly shares."""
    months = _draw(rng, tf.REGISTRATION_MONTH_COUNTS, size).astype(int)
    month_start = np.array([np.datetime64(f"2020-{m:02d}-01") for m in months])
    month_end = np.array(
        [np.datetime64(f"2020-{m + 1:02d}-01") - np.timedelta64(1, "D") for m in months]
    )
    last_day = np.minimum(month_end, np.datetime64(tf.TUTORIAL_END_DATE))
    span = (last_day - month_start).astype(int) + 1
    return month_start + (rng.random(size) * span).astype(int).astype("timedelta64[D]")


def _birth_days(rng: np.random.Generator, size: int) -> np.ndarray:
    """Birth dates as datetime64[D]: year bands with the tutorial's shares, uniform inside."""
    bands = list(tf.BIRTH_YEAR_BANDS)
    band_index = rng.choice(
        len(bands),
        size=size,
        p=np.array(list(tf.BIRTH_YEAR_BANDS.values())) / tf.TUTORIAL_USER_COUNT,
    )
    first = np.array([np.datetime64(f"{bands[i][0]}-01-01") for i in band_index])
    last = np.array([np.datetime64(f"{bands[i][1]}-12-31") for i in band_index])
    days = first + (rng.random(size) * ((last - first).astype(int) + 1)).astype(int).astype(
        "timedelta64[D]"
    )
    low, high = (np.datetime64(d) for d in tf.TUTORIAL_BIRTH_DATE_RANGE)
    return np.clip(days, low, high)


def generate_users(rng: np.random.Generator, user_count: int) -> pd.DataFrame:
    """The users table: one row per user, ids contiguous from the tutorial's first id."""
    return pd.DataFrame(
        {
            "user_id": np.arange(user_count, dtype=np.int64) + tf.TUTORIAL_FIRST_USER_ID,
            "gender": _draw(rng, tf.GENDER_COUNTS, user_count),
            "neighborhoods": _draw(rng, tf.NEIGHBORHOOD_COUNTS, user_count),
            "type_service": _draw(rng, tf.TYPE_SERVICE_COUNTS, user_count),
            "registration_channel": _draw(rng, tf.REGISTRATION_CHANNEL_COUNTS, user_count),
            "registration_date": _registration_days(rng, user_count).astype(str),
            "birth_date": _birth_days(rng, user_count).astype(str),
            "system_operation": _draw(rng, tf.SYSTEM_OPERATION_COUNTS, user_count),
        }
    )


def _orders_per_user(
    rng: np.random.Generator, active_days: np.ndarray, transaction_count: int, buyer_count: int
) -> np.ndarray:
    """Orders per user: zero for non-buyers, at least one for buyers, heavy-tailed."""
    user_count = len(active_days)
    buyer_weight = np.sqrt(active_days)
    buyers = rng.choice(
        user_count, size=buyer_count, replace=False, p=buyer_weight / buyer_weight.sum()
    )
    appetite = rng.gamma(shape=0.9, scale=1.0, size=buyer_count) * active_days[buyers]
    counts = np.zeros(user_count, dtype=np.int64)
    counts[buyers] = 1 + rng.multinomial(transaction_count - buyer_count, appetite / appetite.sum())
    return counts


def _times_of_day(rng: np.random.Generator, size: int) -> np.ndarray:
    """Seconds after midnight with lunch and dinner peaks."""
    meal = rng.choice(3, size=size, p=[0.35, 0.45, 0.20])
    hours = np.where(
        meal == 0,
        rng.normal(12.6, 1.0, size),
        np.where(meal == 1, rng.normal(19.8, 1.4, size), rng.uniform(7.0, 23.99, size)),
    )
    return np.clip(hours * 3600, 0, SECONDS_PER_DAY - 1).astype(np.int64)


def generate_transactions(
    rng: np.random.Generator, users: pd.DataFrame, transaction_count: int
) -> pd.DataFrame:
    """The transactions table: every order after its user's registration, within the tutorial's dates."""
    user_count = len(users)
    buyer_count = min(
        transaction_count,
        round(user_count * tf.TUTORIAL_USERS_WITH_TRANSACTIONS / tf.TUTORIAL_USER_COUNT),
    )
    registered = users["registration_date"].to_numpy().astype("datetime64[D]")
    end = np.datetime64(tf.TUTORIAL_END_DATE)
    active_days = (end - registered).astype(np.int64) + 1
    counts = _orders_per_user(rng, active_days, transaction_count, buyer_count)

    owner = np.repeat(np.arange(user_count), counts)
    day = registered[owner] + (rng.random(len(owner)) * active_days[owner]).astype(np.int64).astype(
        "timedelta64[D]"
    )
    seconds = day.astype("datetime64[s]").astype(np.int64) + _times_of_day(rng, len(owner))
    order = np.lexsort((seconds, owner))
    owner, seconds = owner[order], seconds[order]
    same_user_as_previous = np.r_[False, owner[1:] == owner[:-1]]
    split = same_user_as_previous & (rng.random(len(owner)) < SPLIT_ORDER_SHARE)
    for index in np.flatnonzero(split):  # few hundred: a loop keeps chains of splits exact
        seconds[index] = seconds[index - 1]

    premium = users["type_service"].to_numpy()[owner] == "premium"
    promo = users["registration_channel"].to_numpy()[owner] == "Promotional code"
    favourite_food = _draw(rng, tf.DELIVERY_TYPE_SHARES, user_count)[owner]
    any_food = _draw(rng, tf.DELIVERY_TYPE_SHARES, len(owner))
    delivery_type = np.where(rng.random(len(owner)) < 0.45, favourite_food, any_food)
    usual_payment = _draw(rng, tf.PAYMENT_METHOD_SHARES, user_count)[owner]
    any_payment = _draw(rng, tf.PAYMENT_METHOD_SHARES, len(owner))
    payment_method = np.where(rng.random(len(owner)) < 0.7, usual_payment, any_payment)

    base_price = pd.Series(delivery_type).map(BASE_PRICE_BY_DELIVERY_TYPE).to_numpy(float)
    amount = np.round(np.maximum(5.0, base_price * rng.lognormal(0.0, 0.35, len(owner))), 2)
    amount = np.where(premium, np.round(amount * 1.1, 2), amount)
    normal_shipping = NORMAL_SHIPPING_COSTS[
        rng.choice(len(NORMAL_SHIPPING_COSTS), size=len(owner), p=NORMAL_SHIPPING_WEIGHTS)
    ]
    premium_shipping = np.where(rng.random(len(owner)) < 0.85, 0.0, 1.99)
    shipping_costs = np.where(premium, premium_shipping, normal_shipping)
    coupon = (rng.random(len(owner)) < np.where(promo, 0.40, 0.20)).astype(np.int64)
    coupon_amount = COUPON_AMOUNTS[rng.integers(0, len(COUPON_AMOUNTS), len(owner))]
    coupon_amount = np.where(coupon == 1, np.minimum(coupon_amount, np.floor(amount / 2)), 0)

    by_time = np.lexsort((owner, seconds))
    timestamps = pd.to_datetime(seconds[by_time], unit="s")
    return pd.DataFrame(
        {
            "transaction_id": np.arange(1, len(owner) + 1, dtype=np.int64),
            "user_id": users["user_id"].to_numpy()[owner[by_time]],
            "amount": amount[by_time],
            "shipping_costs": shipping_costs[by_time],
            "discount_coupon": coupon[by_time],
            "discount_coupon_amount": coupon_amount[by_time].astype(np.int64),
            "payment_method": payment_method[by_time],
            "transaction_date": timestamps.strftime(tf.TRANSACTION_DATE_FORMAT),
            "delivery_type": delivery_type[by_time],
        }
    )


USERS_PER_PART = 50_000  # generated in parts of this many users, so memory is bounded by a part


def _user_count(scale: float) -> int:
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    return max(1, round(tf.TUTORIAL_USER_COUNT * scale))


def part_count(scale: float) -> int:
    """How many parts ``generate_parts`` yields at ``scale``."""
    return math.ceil(_user_count(scale) / USERS_PER_PART)


def generate_parts(seed: int = 42, scale: float = 1.0) -> Iterator[RawTables]:
    """Users and their transactions, part by part (ranges of users), at ``scale`` times the
    tutorial's size, deterministic for ``seed``.

    Up to ``USERS_PER_PART`` users (the tutorial's size and far beyond) there is one part; beyond
    it each part draws from its own random stream, gets its share of the transactions, and
    numbers them after those of the parts before (ids follow time within a part).
    """
    user_count = _user_count(scale)
    transaction_count = round(tf.TUTORIAL_TRANSACTION_COUNT * scale)
    parts = part_count(scale)
    streams = (
        [np.random.default_rng(seed)]
        if parts == 1
        else [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(parts)]
    )
    users_before = transactions_before = 0
    for rng in streams:
        users_in_part = min(USERS_PER_PART, user_count - users_before)
        share = round(transaction_count * (users_before + users_in_part) / user_count)
        users = generate_users(rng, users_in_part)
        users["user_id"] += users_before
        transactions = generate_transactions(rng, users, share - transactions_before)
        transactions["transaction_id"] += transactions_before
        users_before += users_in_part
        transactions_before = share
        yield RawTables(users=users, transactions=transactions)


def generate_tutorial_data(seed: int = 42, scale: float = 1.0) -> RawTables:
    """Users and transactions at ``scale`` times the tutorial's size, deterministic for ``seed``, whole."""
    parts = list(generate_parts(seed, scale))
    return RawTables(
        users=pd.concat([p.users for p in parts], ignore_index=True),
        transactions=pd.concat([p.transactions for p in parts], ignore_index=True),
    )
