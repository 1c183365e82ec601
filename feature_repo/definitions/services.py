"""Feature services: the features each model reads, for training and serving alike."""

from feast import FeatureService
from feast.feature_logging import LoggingConfig
from feast.infra.offline_stores.file_source import FileLoggingDestination

from feature_repo.core.paths import data_dir
from feature_repo.definitions.on_demand import checkout_context, user_recency
from feature_repo.definitions.tags import view_tags
from feature_repo.definitions.transaction_features import transaction_features
from feature_repo.definitions.user_features import user_order_stats, user_profile

LOG_DATE_PARTITIONS = ["__log_date"]


def served_features_log(service_name: str, sample_rate: float = 1.0) -> LoggingConfig:
    """Where the scoring service logs what it served (Feast's feature logging, one folder per day)."""
    path = data_dir() / "feature_logs" / service_name
    destination = FileLoggingDestination(path=str(path), partition_by=LOG_DATE_PARTITIONS)
    return LoggingConfig(destination=destination, sample_rate=sample_rate)


churn_model_v1 = FeatureService(
    name="churn_model_v1",
    features=[
        user_profile[
            [
                "age_years",
                "gender",
                "neighborhood",
                "service_type",
                "registration_channel",
                "operating_system",
            ]
        ],
        user_order_stats,
        user_recency,
    ],
    description="Will the user stop ordering? Profile, order history and recency.",
    tags=view_tags(personal_data=True, model="churn"),
    logging_config=served_features_log("churn_model_v1"),
)

checkout_model_v1 = FeatureService(
    name="checkout_model_v1",
    features=[
        user_profile[["service_type", "operating_system", "neighborhood"]],
        user_order_stats[
            [
                "order_count_7d",
                "order_count_30d",
                "spend_mean_30d",
                "coupon_rate_30d",
                "top_delivery_type_30d",
            ]
        ],
        user_recency,
        checkout_context,
    ],
    description="Scores a checkout (coupon offer, upsell): the user's recent habits against the cart at hand.",
    tags=view_tags(personal_data=True, model="checkout"),
)

transaction_analytics_v1 = FeatureService(
    name="transaction_analytics_v1",
    features=[transaction_features],
    description="Order-level features for analytics and order models.",
    tags=view_tags(personal_data=False, model="orders"),
)
