"""Operations on the Feast store used by the main job: backfill, training frames, online lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from feast import FeatureStore
from feast.infra.offline_stores.file_source import SavedDatasetFileStorage
from feast.saved_dataset import SavedDataset

from feature_repo.online.dynamodb import apply_retry_defaults
from feature_repo.online.materialization_check import materialize_checked
from feature_repo.paths import REPO_ROOT, data_on_s3, features_dir
from feature_repo.pipeline.atomic_files import write_files_atomically
from feature_repo.pipeline.build import read_feature_tables, read_manifest
from feature_repo.pipeline.errors import PipelineError
from feature_repo.profiles import checked_config, source_kind
from feature_repo.quality.gate import enforce
from feature_repo.spark.session import configure_spark_environment


def open_store(repo_path: Path = REPO_ROOT, config_path: Path | None = None) -> FeatureStore:
    """The feature store of this repository, with the profile that ``feast`` would use.

    ``config_path`` selects a feature_store.yaml; without it, ``$FEAST_FS_YAML_FILE_PATH`` (as for
    ``feast``), else the embedded default. Unset ``${VAR}`` in the profile are reported by name.
    """
    apply_retry_defaults()
    config = checked_config(config_path)
    if source_kind(config) == "spark":
        configure_spark_environment()  # before Feast starts Spark: conf dir, workers' Python, loopback
    return FeatureStore(repo_path=str(repo_path), fs_yaml_file=config)


def data_horizon(directory: Path | None = None) -> pd.Timestamp:
    """The instant up to which the built feature tables are complete (from the build manifest:
    the published one when the data location is on S3 and no ``directory`` is given)."""
    if directory is None and data_on_s3():
        from feature_repo.pipeline.remote import published_features_manifest

        manifest = published_features_manifest()
    else:
        manifest = read_manifest(directory or features_dir())
    if not manifest:
        raise PipelineError(
            f"No feature build found in {directory or features_dir()}: run `delivery-fs build-features` first."
        )
    return pd.Timestamp(manifest["horizon"]).tz_convert("UTC")


@dataclass(frozen=True)
class BackfillResult:
    view: str
    start: datetime
    end: datetime


def backfill_online(store: FeatureStore, end: datetime) -> list[BackfillResult]:
    """Load the online store once for views never materialized, as of ``end``, honouring each view's TTL.

    ``feast materialize-incremental`` starts a first run at *now* - TTL, which loads nothing
    from data older than that; this gives it a start. Views already materialized are left to it.
    """
    pending = [v for v in store.list_feature_views() if v.most_recent_end_time is None and v.online]
    if pending:
        enforce(
            read_feature_tables(features_dir()),
            step="Loading the online store",
            as_of=pd.Timestamp(end),
        )
    done = []
    for view in pending:
        start = end - view.ttl if view.ttl else datetime(1970, 1, 1, tzinfo=end.tzinfo)
        materialize_checked(store, start, end, [view.name])
        done.append(BackfillResult(view.name, start, end))
    return done


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
    frame = utc_timestamps(frame)  # the Spark offline store returns naive (UTC) timestamps
    return frame.sort_values("_row").drop(columns="_row").reset_index(drop=True)


def utc_timestamps(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every naive datetime column read as UTC (aware ones converted to UTC)."""
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            values = frame[column]
            frame[column] = (
                values.dt.tz_localize("UTC")
                if values.dt.tz is None
                else values.dt.tz_convert("UTC")
            )
    return frame


def online_lookup(
    store: FeatureStore, user_id: int, service: str, request_time: datetime, cart_amount: float
) -> pd.DataFrame:
    """One user's online features through a feature service: feature, value, status, by name."""
    row = {"user_id": user_id, "request_time": request_time, "cart_amount": cart_amount}
    response = store.get_online_features(
        features=store.get_feature_service(service), entity_rows=[row]
    ).to_dict(include_event_timestamps=False)
    return pd.DataFrame(
        {"feature": sorted(response), "value": [response[k][0] for k in sorted(response)]}
    )


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
        f"{p.name}:{f.name}" for p in feature_service.feature_view_projections for f in p.features
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
