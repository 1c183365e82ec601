"""Typed online features for serving code: what the checkout model reads, for one user and cart.

    from feature_repo.serving.lookup.checkout import features_for_checkout
    features = features_for_checkout(user_id=123151, cart_amount=35.0)
    features.spend_mean_30d, features.statuses["spend_mean_30d"], features.known_user

Every feature is ``None`` unless its status is PRESENT. An unknown user is not an error: every
feature is ``None`` with status NOT_FOUND and ``known_user`` is False (score it as a new user).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from datetime import datetime
from functools import lru_cache

from feast import FeatureStore

from feature_repo.serving.lookup.online_features import (
    FeatureStatus,
    FeatureValue,
    OnlineFeatureReader,
)

CHECKOUT_SERVICE = "checkout_model_v1"


@dataclass(frozen=True)
class CheckoutFeatures:
    """The checkout model's features for one user and cart, as training data sees them."""

    user_id: int
    cart_amount: float
    service_type: str | None
    operating_system: str | None
    neighborhood: str | None
    order_count_7d: int | None
    order_count_30d: int | None
    spend_mean_30d: float | None
    coupon_rate_30d: float | None
    top_delivery_type_30d: str | None
    tenure_days: int | None
    days_since_last_order: int | None
    cart_amount_vs_mean_30d: float | None
    cart_amount_minus_mean_30d: float | None
    statuses: Mapping[str, FeatureStatus]

    @property
    def known_user(self) -> bool:
        """False when the store has nothing about this user (every status NOT_FOUND)."""
        return any(status is not FeatureStatus.NOT_FOUND for status in self.statuses.values())

    @classmethod
    def feature_names(cls) -> list[str]:
        return [f.name for f in fields(cls) if f.name not in ("user_id", "cart_amount", "statuses")]


@lru_cache(maxsize=1)
def default_store() -> FeatureStore:
    """The repository's store (``FEAST_FS_YAML_FILE_PATH`` selects another feature_store.yaml)."""
    from feature_repo.repository.store import open_store

    return open_store()


@lru_cache(maxsize=8)
def checkout_reader(store: FeatureStore | None = None) -> OnlineFeatureReader:
    """The reader of the checkout service, resolved once per store."""
    return OnlineFeatureReader(store or default_store(), CHECKOUT_SERVICE)


def features_for_checkout(
    user_id: int,
    cart_amount: float,
    *,
    store: FeatureStore | None = None,
    now: datetime | None = None,
) -> CheckoutFeatures:
    """Online features of ``user_id`` for a cart of ``cart_amount``, as of ``now`` (default: the current instant)."""
    reader = checkout_reader(store)
    row = reader.read([{"user_id": user_id, "cart_amount": float(cart_amount)}], now=now)[0]
    return _record(user_id, float(cart_amount), row)


def _record(user_id: int, cart_amount: float, row: Mapping[str, FeatureValue]) -> CheckoutFeatures:
    values = {name: row[name].value for name in CheckoutFeatures.feature_names()}
    statuses = {name: row[name].status for name in CheckoutFeatures.feature_names()}
    return CheckoutFeatures(user_id=user_id, cart_amount=cart_amount, statuses=statuses, **values)
