"""Where the feature tables live: Parquet files written by `delivery-fs build-features`.

One set of sources for every profile: the location comes from ``feature_repo.core.paths`` (a local
absolute path, or ``s3://`` when ``DELIVERY_FS_DATA_DIR`` is an S3 prefix). Local paths are
absolute because Feast's duckdb offline store resolves relative paths against the working directory.
The kind of source follows the profile (``feature_repo.core.profiles.source_kind``): FileSources, or
SparkSources over the same Parquet files for the ``spark`` profile. The tables themselves
(name, description) are declared in ``feature_repo.core.tables``.
"""

from feast import Field, FileSource, PushSource, RequestSource
from feast.infra.offline_stores.contrib.spark_offline_store.spark_source import SparkSource
from feast.types import Float64, UnixTimestamp

from feature_repo.core.paths import feature_table_location, s3_endpoint_override
from feature_repo.core.profiles import source_kind
from feature_repo.core.tables import (
    TRANSACTION_FEATURES,
    USER_ORDER_LEDGER,
    USER_ORDER_STATS,
    USER_PROFILE,
    FeatureTable,
)


def _feature_table_source(table: FeatureTable) -> FileSource | SparkSource:
    if source_kind() == "spark":
        return SparkSource(
            name=table.source_name,
            path=feature_table_location(table.name),
            file_format="parquet",
            timestamp_field="event_timestamp",
            description=table.description,
        )
    return FileSource(
        name=table.source_name,
        path=feature_table_location(table.name),
        s3_endpoint_override=s3_endpoint_override(),
        timestamp_field="event_timestamp",
        description=table.description,
    )


user_profile_source = _feature_table_source(USER_PROFILE)
user_order_stats_source = _feature_table_source(USER_ORDER_STATS)
transaction_features_source = _feature_table_source(TRANSACTION_FEATURES)
user_order_ledger_source = _feature_table_source(USER_ORDER_LEDGER)
# Orders pushed as they happen (`delivery-fs push-orders`) update the ledger online through this
# source; its batch source is the ledger the pipeline builds, which `feast materialize` loads.
user_order_ledger_push = PushSource(
    name="user_order_ledger_push",
    batch_source=user_order_ledger_source,
    description="Each user's order ledger, pushed when an order is placed.",
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
