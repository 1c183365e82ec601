"""Helpers of the materialization tests: a view's latest-row pull over its TTL window, as
materialization asks the offline store for it, and the same latest rows computed independently by
pandas from the view's source file."""

from __future__ import annotations

import pandas as pd
from feast.infra.offline_stores.offline_utils import get_offline_store_from_config


def pull_latest_in_window(store, view_name: str, horizon: pd.Timestamp):
    """The offline store's job for ``view_name``'s latest row per user in ``(horizon - ttl, horizon]``."""
    view = store.get_feature_view(view_name)
    source = view.batch_source
    return get_offline_store_from_config(
        store.config.offline_store
    ).pull_latest_from_table_or_query(
        config=store.config,
        data_source=source,
        join_key_columns=["user_id"],
        feature_name_columns=[f.name for f in view.features],
        timestamp_field=source.timestamp_field,
        created_timestamp_column=None,
        start_date=horizon.to_pydatetime() - view.ttl,
        end_date=horizon.to_pydatetime(),
    )


def latest_in_window_by_pandas(store, view_name: str, horizon: pd.Timestamp) -> pd.DataFrame:
    """The latest row per user of the view's source file in its TTL window, by pandas alone."""
    view = store.get_feature_view(view_name)
    history = pd.read_parquet(view.batch_source.path)
    window = history[history["event_timestamp"].between(horizon - view.ttl, horizon)]
    return window.sort_values("event_timestamp").groupby("user_id").tail(1)
