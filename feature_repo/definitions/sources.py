"""Where the feature tables live: Parquet files written by `delivery-fs build-features`.

One set of sources for every profile: the location comes from ``feature_repo.paths`` (a local
absolute path, or ``s3://`` when ``DELIVERY_FS_DATA_DIR`` is an S3 prefix). Local paths are
absolute because Feast's duckdb offline store resolves relative paths against the working directory.
"""

from feast import Field, FileSource, RequestSource
from feast.types import Float64, UnixTimestamp

from feature_repo.paths import feature_table_location, s3_endpoint_override

user_profile_source = FileSource(
    name="user_profile_source",
    path=feature_table_location("user_profile"),
    s3_endpoint_override=s3_endpoint_override(),
    timestamp_field="event_timestamp",
    description="One row per user at registration and at every birthday.",
)

user_order_stats_source = FileSource(
    name="user_order_stats_source",
    path=feature_table_location("user_order_stats"),
    s3_endpoint_override=s3_endpoint_override(),
    timestamp_field="event_timestamp",
    description="One row per user each time a trailing-window statistic changes.",
)

transaction_features_source = FileSource(
    name="transaction_features_source",
    path=feature_table_location("transaction_features"),
    s3_endpoint_override=s3_endpoint_override(),
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
