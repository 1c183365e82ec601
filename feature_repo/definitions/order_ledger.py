"""The order ledger of the user entity: a serving view, not a training one.

It holds each user's orders of the longest window (90 days before their latest order) and the
facts the windows cannot give. The lean reader (``feature_repo.serving``) computes every
``user_order_stats`` feature from it at the instant of the lookup with the shared transform
``feature_repo.transforms.ledger_windows``, so windows that expired since the last order or batch
run are exact online. No feature service reads it; `delivery-fs push-orders` keeps it current.
"""

from datetime import timedelta

from feast import FeatureView, Field
from feast.types import Array, Int64, String

from feature_repo.definitions.entities import user
from feature_repo.definitions.sources import user_order_ledger_push
from feature_repo.definitions.tags import known_at_field, view_tags

AT_ORDER = "each order (pushed or built)"
SERVES = "serves"  # view tag: the view whose features the lean reader computes from this one


def _field(name: str, dtype: object, description: str) -> Field:
    return known_at_field(name, dtype, description, AT_ORDER)


user_order_ledger = FeatureView(
    name="user_order_ledger",
    entities=[user],
    ttl=timedelta(0),  # no TTL: the ledger is read at any instant; user_order_stats' TTL applies
    schema=[
        _field("transaction_ids", Array(Int64), "Ids of the orders in the ledger, oldest first."),
        _field("order_instants_us", Array(Int64), "Instant of each order (Unix microseconds)."),
        _field("amounts_cents", Array(Int64), "Amount of each order, in cents."),
        _field("shipping_costs_cents", Array(Int64), "Shipping costs of each order, in cents."),
        _field("coupon_flags", Array(Int64), "Whether each order used a coupon (0/1)."),
        _field("coupon_amounts", Array(Int64), "Coupon discount of each order."),
        _field("delivery_types", Array(String), "Food category of each order."),
        _field("lifetime_order_count", Int64, "Orders since registration."),
        _field("last_order_at_us", Int64, "Instant of the latest order (Unix microseconds)."),
        _field("registered_at_us", Int64, "Registration instant (Unix microseconds)."),
    ],
    source=user_order_ledger_push,
    online=True,
    description=(
        "Serving ledger, not for training: each user's orders of the last 90 days before their "
        "latest one, from which user_order_stats is computed at lookup time."
    ),
    tags=view_tags(personal_data=False, serving_only="true", **{SERVES: "user_order_stats"}),
)
