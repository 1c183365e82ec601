"""What `make demo` prints: a training frame for random (user, time) rows and one user's online lookup."""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from feast import FeatureStore

from feature_repo.core.paths import raw_dir
from feature_repo.online.translation import online_store_errors
from feature_repo.pipeline.raw_data import raw_file, read_users
from feature_repo.training.frames import sample_training_entities, training_frame

DEMO_WINDOW = pd.Timedelta(days=214)  # the rows are drawn from the data's last seven months


def demo_training_frame(
    store: FeatureStore, service: str, horizon: pd.Timestamp, rows: int, seed: int
) -> pd.DataFrame:
    """A training frame for ``rows`` random (user, time) rows before ``horizon``: one column per row."""
    users = read_users(raw_file(raw_dir(), "users"))
    entities = sample_training_entities(users, horizon - DEMO_WINDOW, horizon, rows, seed)
    frame = training_frame(store, entities, service)
    transposed = frame.T.reset_index()
    transposed.columns = ["feature", *[f"row {i}" for i in range(len(frame))]]
    return transposed


def online_lookup(
    store: FeatureStore, user_id: int, service: str, request_time: datetime, cart_amount: float
) -> pd.DataFrame:
    """One user's online features through a feature service: feature, value, status, by name."""
    row = {"user_id": user_id, "request_time": request_time, "cart_amount": cart_amount}
    with online_store_errors(store):
        response = store.get_online_features(
            features=store.get_feature_service(service), entity_rows=[row]
        ).to_dict(include_event_timestamps=False)
    return pd.DataFrame(
        {"feature": sorted(response), "value": [response[k][0] for k in sorted(response)]}
    )
