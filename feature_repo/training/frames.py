"""Point-in-time-correct training frames through a feature service, and saving one as a Feast saved dataset."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from feast import FeatureStore
from feast.infra.offline_stores.file_source import SavedDatasetFileStorage
from feast.saved_dataset import SavedDataset

from feature_repo.core.atomic_files import write_files_atomically
from feature_repo.core.feature_refs import FeatureRef
from feature_repo.core.timestamps import utc_columns


def sample_training_entities(
    users: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp, rows: int, seed: int
) -> pd.DataFrame:
    """Random (user, time) rows between ``start`` and ``end``, with request-time columns filled."""
    rng = np.random.default_rng(seed)
    picked = users["user_id"].to_numpy()[rng.integers(0, len(users), rows)]
    span = (end - start).total_seconds()
    times = start + pd.to_timedelta(np.floor(rng.random(rows) * span), unit="s")
    frame = pd.DataFrame({"user_id": picked, "event_timestamp": times})
    frame["request_time"] = frame["event_timestamp"]
    frame["cart_amount"] = np.round(rng.uniform(8, 80, rows), 2)
    return frame


def training_frame(store: FeatureStore, entities: pd.DataFrame, service: str) -> pd.DataFrame:
    """Point-in-time-correct features for ``entities`` through a feature service, in the entities' order."""
    keyed = entities.reset_index(drop=True).assign(_row=lambda f: np.arange(len(f)))
    frame = store.get_historical_features(
        entity_df=keyed, features=store.get_feature_service(service)
    ).to_df()
    frame = utc_columns(frame)  # the Spark offline store returns naive (UTC) timestamps
    if not frame["_row"].is_monotonic_increasing:  # the DuckDB store keeps the entities' order
        frame = frame.sort_values("_row")
    del frame["_row"]  # in place, as the index below: a million rows are not copied
    frame.index = pd.RangeIndex(len(frame))
    return frame


def save_training_set(
    store: FeatureStore,
    frame: pd.DataFrame,
    name: str,
    service: str,
    path: Path,
    tags: dict[str, str] | None = None,
) -> SavedDataset:
    """Write a training frame to ``path`` (atomically) and register it as a Feast saved dataset.

    Feast 0.67's ``create_saved_dataset`` cannot persist a retrieval with on-demand features on the
    duckdb offline store (the persisted table lacks their columns), so the frame computed by
    ``get_historical_features`` is written here and registered with the same metadata.
    """
    feature_service = store.get_feature_service(service)
    features = [
        str(FeatureRef(p.name, f.name))
        for p in feature_service.feature_view_projections
        for f in p.features
    ]
    join_keys = sorted(
        {key for p in feature_service.feature_view_projections for key in _join_keys(store, p.name)}
    )
    write_files_atomically({path: lambda target: frame.to_parquet(target, index=False)})
    dataset = SavedDataset(
        name=name,
        features=features,
        join_keys=join_keys,
        storage=SavedDatasetFileStorage(path=str(path)),
        tags=tags or {},
        feature_service_name=service,
    )
    dataset.min_event_timestamp = frame["event_timestamp"].min().to_pydatetime()
    dataset.max_event_timestamp = frame["event_timestamp"].max().to_pydatetime()
    store.registry.apply_saved_dataset(dataset, store.project, commit=True)
    return dataset


def _join_keys(store: FeatureStore, view_name: str) -> list[str]:
    if view_name in {v.name for v in store.list_on_demand_feature_views()}:
        return []
    return [column.name for column in store.get_feature_view(view_name).entity_columns]
