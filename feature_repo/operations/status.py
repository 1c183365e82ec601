"""`delivery-fs status`: for each feature view, its version, rows, newest event, last materialization and lag.

Time-driven features (``age_years``: a new ``user_profile`` row at each birthday, midnight UTC) are
exact online only while their view is materialized on schedule: every row whose event time has
passed must be online, since nothing else moves the stored value. For such a view any lag is a
served value that is wrong (an age missing a birthday): ``warning`` says which features and what
to run. The schedule that keeps them exact: ``feast materialize-incremental`` (or ``delivery-fs
materialize``) daily, right after 00:00 UTC. (The order windows need no schedule: the order ledger
makes them exact at any instant.)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd
import pyarrow.dataset as ds
from feast import FeatureStore

from feature_repo.definitions.tags import changes_with_time
from feature_repo.repository.feature_versions import active_version
from feature_repo.repository.store import require_applied


@dataclass(frozen=True)
class ViewStatus:
    view: str
    version: str
    rows: int | None
    newest_event: datetime | None  # newest row at or before the reference instant
    last_materialized: datetime | None  # end of the latest materialization into the online store
    data_age_hours: float | None  # reference - newest_event: how old the newest data is
    lag_hours: float | None  # newest_event - last_materialized, when positive: data not yet online
    stale: bool
    warning: str | None = None  # a time-driven feature served wrong online (see the module's text)

    def as_json(self) -> dict:
        return {
            k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items()
        }


def view_statuses(
    store: FeatureStore, reference: datetime, max_lag_hours: float, max_data_age_hours: float
) -> list[ViewStatus]:
    """Status of every feature view as of ``reference`` (rows after it are future rows, not data).

    A view is stale when it was never materialized, when its online store is more than
    ``max_lag_hours`` behind its data, or when its newest data is older than ``max_data_age_hours``.
    """
    statuses = []
    for view in sorted(require_applied(store).list_feature_views(), key=lambda v: v.name):
        rows, newest = _source_facts(
            view.batch_source.path, view.batch_source.timestamp_field, reference
        )
        materialized = view.most_recent_end_time
        age = _hours(reference - newest) if newest is not None else None
        lag = (
            max(0.0, _hours(newest - materialized)) if newest is not None and materialized else None
        )
        stale = (
            materialized is None
            or newest is None
            or (lag is not None and lag > max_lag_hours)
            or (age is not None and age > max_data_age_hours)
        )
        version = f"v{active_version(store, view.name)}"
        warning = _schedule_warning(view, newest, materialized)
        stale = stale or warning is not None
        statuses.append(
            ViewStatus(view.name, version, rows, newest, materialized, age, lag, stale, warning)
        )
    return statuses


def storage_locations(store: FeatureStore) -> dict[str, str]:
    """Where this store keeps what: ``DELIVERY_FS_DATA_DIR`` moves the data (raw files, feature
    tables, pushed orders, served-feature logs, models, reports); the registry and the online
    store are where the profile's feature_store.yaml puts them (relative paths: to its directory),
    whatever ``DELIVERY_FS_DATA_DIR`` says."""
    from feature_repo.core.paths import data_location

    config = store.config
    registry = config.registry
    registry_path = registry if isinstance(registry, str) else getattr(registry, "path", "")
    online = config.online_store
    online_path = getattr(online, "path", None) or getattr(online, "connection_string", None)
    return {
        "data (DELIVERY_FS_DATA_DIR)": data_location(),
        "registry (feature_store.yaml)": _resolved(store, registry_path),
        f"online store ({online.type}, feature_store.yaml)": _resolved(store, online_path or "-"),
    }


def _resolved(store: FeatureStore, path: str) -> str:
    if not path or "://" in path or ":" in path.split("/")[0] or path == "-":
        return path
    candidate = Path(path)
    return str(candidate if candidate.is_absolute() else Path(store.repo_path) / candidate)


def time_driven_features(view) -> list[str]:
    """Features of ``view`` whose value changes with time alone (``known_at``: "..., then each ...")."""
    return [f.name for f in view.features if changes_with_time(f.tags)]


def _schedule_warning(view, newest: datetime | None, materialized: datetime | None) -> str | None:
    features = time_driven_features(view)
    if not features or newest is None or (materialized is not None and newest <= materialized):
        return None
    since = f"since {materialized:%Y-%m-%d %H:%M} UTC" if materialized else "ever"
    return (
        f"{', '.join(features)} served wrong online: a change at {newest:%Y-%m-%d %H:%M} UTC is "
        f"not online (materialized {since}); run `feast materialize-incremental` daily after "
        "00:00 UTC"
    )


def _source_facts(
    path: str, timestamp_field: str, reference: datetime
) -> tuple[int | None, datetime | None]:
    if not Path(path).exists():
        return None, None
    table = ds.dataset(path, format="parquet").to_table(columns=[timestamp_field])
    stamps = pd.Series(table.column(timestamp_field).to_pandas())
    known = stamps[stamps <= pd.Timestamp(reference)]
    newest = known.max() if len(known) else None
    return len(stamps), (newest.to_pydatetime() if newest is not None else None)


def _hours(delta) -> float:
    return round(delta.total_seconds() / 3600, 2)
