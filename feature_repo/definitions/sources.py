"""Where the feature tables live: Parquet files written by `delivery-fs build-features`.

Paths are absolute (see ``feature_repo.paths``) because Feast's duckdb offline store resolves
relative paths against the process's working directory.
"""

from feast import Field, FileSource, RequestSource
from feast.types import Float64, UnixTimestamp

from feature_repo.paths import feature_table_path

user_profile_source = FileSource(
    name="user_profile_source",
    path=str(feature_table_path("user_profile")),
    timestamp_field="event_timestamp",
    description="One row per user at registration and at every birthday.",
)

user_order_stats_source = FileSource(
    name="user_order_stats_source",
    path=str(feature_table_path("user_order_stats")),
    timestamp_field="event_timestamp",
    description="One row per user each time a trailing-window statistic changes.",
)

transaction_features_source = FileSource(
    name="transaction_features_source",
    path=str(feature_table_path("transaction_features")),
    timestamp_field="event_timestamp",
    description="One row per transaction, at the instant it is placed.",
)

request_time_source = RequestSource(
    name="request_time_source",
    schema=[
        Field(
            name="request_time", dtype=UnixTimestamp, description="When the request is made (UTC)."
        )
    ],
    description="The instant a prediction is made; for training rows, the row's event time.",
)

checkout_cart_source = RequestSource(
    name="checkout_cart_source",
    schema=[
        Field(name="cart_amount", dtype=Float64, description="Amount of the cart at checkout.")
    ],
    description="What the app knows about the cart at checkout.",
)
