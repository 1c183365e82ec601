"""Operations on the Feast store used by the main job: backfill, training frames, online lookups."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
from feast import FeatureStore

from feature_repo.online.dynamodb import apply_retry_defaults
from feature_repo.paths import REPO_ROOT, data_on_s3, features_dir
from feature_repo.pipeline.build import read_manifest
from feature_repo.pipeline.errors import PipelineError
from feature_repo.profiles import checked_config


def open_store(repo_path: Path = REPO_ROOT, config_path: Path | None = None) -> FeatureStore:
    """The feature store of this repository, with the profile that ``feast`` would use.

    ``config_path`` selects a feature_store.yaml; without it, ``$FEAST_FS_YAML_FILE_PATH`` (as for
    ``feast``), else the embedded default. Unset ``${VAR}`` in the profile are reported by name.
    """
    apply_retry_defaults()
    return FeatureStore(repo_path=str(repo_path), fs_yaml_file=checked_config(config_path))


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
    return pd.Timestamp(manifest["horizon"])


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
    done = []
    for view in store.list_feature_views():
        if view.most_recent_end_time is not None or not view.online:
            continue
        start = end - view.ttl if view.ttl else datetime(1970, 1, 1, tzinfo=end.tzinfo)
        store.materialize(start_date=start, end_date=end, feature_views=[view.name])
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
    return frame.sort_values("_row").drop(columns="_row").reset_index(drop=True)


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
