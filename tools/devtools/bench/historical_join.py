"""The raw baseline of ``get_historical_features``: one DuckDB ``ASOF LEFT JOIN`` per view of the
same Parquet files, with each view's TTL, the service's on-demand features computed in the same
SQL (vectorised, by DuckDB), and the comparison of its rows with Feast's."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from feast import FeatureStore

from feature_repo.core.paths import features_dir, raw_dir
from feature_repo.pipeline.raw_data import raw_file, read_users
from feature_repo.repository.horizon import data_horizon
from feature_repo.training.frames import sample_training_entities

SERVICE = "churn_model_v1"
HISTORY = timedelta(days=365)


def sampled_entities(store: FeatureStore, rows: int, seed: int) -> pd.DataFrame:
    """``rows`` random (user, instant) pairs over the last year before the data horizon."""
    users = read_users(raw_file(raw_dir(), "users"))
    horizon = data_horizon(features_dir())
    return sample_training_entities(users, horizon - HISTORY, horizon, rows, seed)


# The on-demand features of the main service, as SQL over the joined columns (whole days, floored;
# the rule of ``transforms.request_features`` written a second time), with the inputs they read.
ON_DEMAND_INPUTS = {"user_profile": ["registered_at"], "user_order_stats": ["last_order_at"]}
MICROSECONDS_PER_DAY = 86_400_000_000
ON_DEMAND_SQL = {
    "tenure_days": "registered_at",
    "days_since_last_order": "last_order_at",
}


def _service_features(store: FeatureStore, views: Sequence[str]) -> dict[str, list[str]]:
    """The service's features of ``views`` plus the inputs of its on-demand features."""
    service = store.get_feature_service(SERVICE)
    features = {
        p.name: [f.name for f in p.features]
        for p in service.feature_view_projections
        if p.name in views
    }
    for view, inputs in ON_DEMAND_INPUTS.items():
        if view in features:
            features[view] += [i for i in inputs if i not in features[view]]
    return features


def _on_demand_columns() -> str:
    return ", ".join(
        f"CAST(floor(date_diff('microsecond', {since}, request_time) / {MICROSECONDS_PER_DAY}) "
        f"AS BIGINT) AS {name}"
        for name, since in ON_DEMAND_SQL.items()
    )


def asof_join(store: FeatureStore, entities: pd.DataFrame, views: Sequence[str]) -> pd.DataFrame:
    """The service's features of ``views`` as of each entity row (null when older than the TTL)."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    keyed = entities[["user_id", "event_timestamp", "request_time"]].assign(
        _row=np.arange(len(entities))
    )
    connection.register("entities", keyed)
    selects, joins, columns = [], [], []
    for index, (name, features) in enumerate(_service_features(store, views).items()):
        view = store.get_feature_view(name)
        source = view.batch_source
        alias, stamp = f"v{index}", f"_ts{index}"
        columns += features
        selects.append(
            f"{alias} AS (SELECT user_id, {source.timestamp_field}::TIMESTAMPTZ AS {stamp}, "
            f"{', '.join(features)} FROM read_parquet('{source.path}'))"
        )
        joins.append(
            f"ASOF LEFT JOIN {alias} ON e.user_id = {alias}.user_id "
            f"AND e.event_timestamp >= {alias}.{stamp}"
        )
        ttl = int(view.ttl.total_seconds()) if view.ttl else None
        fresh = f"{alias}.{stamp} >= e.event_timestamp - INTERVAL {ttl} SECOND" if ttl else "TRUE"
        columns[-len(features) :] = [
            f"CASE WHEN {fresh} THEN {alias}.{f} END AS {f}" for f in features
        ]
    query = (
        f"WITH {', '.join(selects)}, joined AS (SELECT e._row, e.user_id, e.event_timestamp, "
        f"e.request_time, {', '.join(columns)} FROM entities e {' '.join(joins)}) "
        f"SELECT *, {_on_demand_columns()} FROM joined ORDER BY _row"
    )
    return connection.execute(query).df()


def _same(left: Any, right: Any) -> bool:
    if pd.isna(left) and pd.isna(right):
        return True
    if pd.isna(left) or pd.isna(right):
        return False
    if isinstance(left, int | float | np.number) and isinstance(right, int | float | np.number):
        return bool(np.isclose(float(left), float(right), rtol=1e-9, atol=1e-9))
    return left == right


def differences(feast_path: Path, raw_path: Path) -> dict[str, Any]:
    """Rows of each frame and the number of values that differ, column by column of the raw frame."""
    feast_frame, raw_frame = pd.read_parquet(feast_path), pd.read_parquet(raw_path)
    result: dict[str, Any] = {"rows_feast": len(feast_frame), "rows_raw": len(raw_frame)}
    if len(feast_frame) != len(raw_frame):
        return {**result, "differing_values": None}
    columns = [c for c in raw_frame.columns if c not in ("_row", "event_timestamp", "request_time")]
    differing = {
        column: sum(
            not _same(a, b)
            for a, b in zip(feast_frame[column].tolist(), raw_frame[column].tolist(), strict=True)
        )
        for column in columns
    }
    return {
        **result,
        "differing_values": sum(differing.values()),
        "differing_columns": {c: n for c, n in differing.items() if n},
    }
