"""Rows of a feature view read from the Feast offline store, the way materialization reads them."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from feast import FeatureStore
from feast.infra.offline_stores.offline_utils import get_offline_store_from_config

from feature_repo.sagemaker.schema_mapping import FeatureGroupSpec

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def view_rows(
    store: FeatureStore, spec: FeatureGroupSpec, end: datetime, latest: bool
) -> pd.DataFrame:
    """The latest row per entity within the view's TTL before ``end`` (what materialize loads online),
    or, with ``latest=False``, every row up to ``end``."""
    view = store.get_feature_view(spec.view)
    source = view.batch_source
    offline_store = get_offline_store_from_config(store.config.offline_store)
    start = end - view.ttl if latest and view.ttl else EPOCH
    arguments = {
        "config": store.config,
        "data_source": source,
        "join_key_columns": [spec.record_identifier],
        "feature_name_columns": [f.name for f in spec.value_features],
        "timestamp_field": source.timestamp_field,
        "created_timestamp_column": source.created_timestamp_column or None,
        "start_date": start,
        "end_date": end,
    }
    pull = (
        offline_store.pull_latest_from_table_or_query
        if latest
        else offline_store.pull_all_from_table_or_query
    )
    frame = pull(**arguments).to_df()
    frame[source.timestamp_field] = pd.to_datetime(frame[source.timestamp_field], utc=True)
    return frame.sort_values(
        [source.timestamp_field, spec.record_identifier], kind="stable"
    ).reset_index(drop=True)
