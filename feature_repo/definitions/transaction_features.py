"""Feature view of the transaction entity: what is known about an order when it is placed."""

from datetime import timedelta

from feast import FeatureView, Field
from feast.types import Bool, Float64, Int64, String

from feature_repo.definitions.entities import transaction
from feature_repo.definitions.sources import transaction_features_source
from feature_repo.definitions.tags import known_at_field, view_tags

AT_ORDER = "the order's transaction_date"


def _field(name: str, dtype: object, description: str) -> Field:
    return known_at_field(name, dtype, description, AT_ORDER)


transaction_features = FeatureView(
    name="transaction_features",
    entities=[transaction],
    # Online, an order is looked up while it is live (delivery, support, refunds); the online
    # load keeps the last 30 days of orders instead of every past order (3.1M of the demo
    # store's 3.5M rows with 365 days). Offline, an order's row is joined within 30 days of it.
    ttl=timedelta(days=30),
    schema=[
        _field("amount", Float64, "Order amount."),
        _field("shipping_costs", Float64, "Shipping costs of the order."),
        _field("discount_coupon_used", Bool, "Whether a discount coupon was used."),
        _field("discount_coupon_amount", Int64, "Discount granted by the coupon."),
        _field("net_amount", Float64, "Amount minus coupon discount (never below 0)."),
        _field("discount_share", Float64, "Coupon discount as a share of the amount."),
        _field("payment_method", String, "How the order was paid."),
        _field("delivery_type", String, "Food category of the order."),
        _field("order_hour_utc", Int64, "Hour of day (UTC) the order was placed."),
        _field("order_day_of_week", Int64, "Day of week the order was placed (Monday is 0)."),
        _field("is_weekend", Bool, "Placed on a Saturday or Sunday."),
        _field(
            "user_order_number",
            Int64,
            "Rank of the order among the user's orders (1 = first; same-instant orders by id).",
        ),
        _field(
            "hours_since_previous_order",
            Float64,
            "Hours since the user's previous order; missing for a first order.",
        ),
        _field(
            "days_since_registration",
            Int64,
            "Whole days from the user's registration to the order.",
        ),
    ],
    source=transaction_features_source,
    online=True,
    description="One order as the app sees it when it is placed.",
    tags=view_tags(personal_data=False),
)
