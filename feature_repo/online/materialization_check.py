"""Materialize, then check that the online store holds what was materialized.

Feast's engines report success without proof: the Ray engine was seen exiting 0 having written
nothing, and the Spark engine turns an error into a job status. After each view's run this reads
back, through the online store, every entity whose latest row in the window the offline store
returns, and fails loudly when one is missing or holds an older row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from feast import FeatureStore, FeatureView
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto
from feast.type_map import python_values_to_proto_values

from feature_repo.online.errors import MaterializationCheckError

READ_BATCH = 1_000


@dataclass(frozen=True)
class MaterializedView:
    view: str
    start: datetime
    end: datetime
    online_rows: int


def materialize_checked(
    store: FeatureStore, start: datetime, end: datetime, view_names: list[str]
) -> list[MaterializedView]:
    """``store.materialize`` view by view, each followed by ``check_online_rows``."""
    done = []
    for name in view_names:
        store.materialize(start_date=start, end_date=end, feature_views=[name])
        rows = check_online_rows(store, store.get_feature_view(name), start, end)
        done.append(MaterializedView(name, start, end, rows))
    return done


def check_online_rows(
    store: FeatureStore, view: FeatureView, start: datetime, end: datetime
) -> int:
    """The number of entities of ``view`` that the window loaded, each found online at its latest row."""
    latest = _latest_offline_rows(store, view, start, end)
    keys = [column.name for column in view.entity_columns]
    if len(keys) != 1:
        raise MaterializationCheckError(f"{view.name}: only single-key views are checked.")
    key = keys[0]
    provider = store.provider
    missing, stale = [], []
    for begin in range(0, len(latest), READ_BATCH):
        batch = latest.iloc[begin : begin + READ_BATCH]
        values = python_values_to_proto_values(
            batch[key].tolist(), view.entity_columns[0].dtype.to_value_type()
        )
        entity_keys = [EntityKeyProto(join_keys=[key], entity_values=[v]) for v in values]
        read = provider.online_read(store.config, view, entity_keys)
        for (entity, expected), (written_at, _) in zip(
            zip(batch[key], batch["_latest"], strict=True), read, strict=True
        ):
            if written_at is None:
                missing.append(entity)
            elif pd.Timestamp(written_at).tz_localize(None) < expected.tz_localize(None):
                stale.append(entity)
    if missing or stale:
        raise MaterializationCheckError(
            f"Materializing {view.name} from {start} to {end} reported success, but of "
            f"{len(latest):,} entities {len(missing):,} are missing online (e.g. {missing[:5]}) and "
            f"{len(stale):,} hold an older row (e.g. {stale[:5]}): check the batch engine's logs."
        )
    return len(latest)


def _latest_offline_rows(
    store: FeatureStore, view: FeatureView, start: datetime, end: datetime
) -> pd.DataFrame:
    """Each entity's latest event time in [start, end], read from the offline store as materialize does."""
    source = view.batch_source
    keys = [column.name for column in view.entity_columns]
    job = store.provider.offline_store.pull_latest_from_table_or_query(
        config=store.config,
        data_source=source,
        join_key_columns=keys,
        feature_name_columns=[],
        timestamp_field=source.timestamp_field,
        created_timestamp_column=source.created_timestamp_column or None,
        start_date=start,
        end_date=end,
    )
    frame = job.to_df()
    frame["_latest"] = pd.to_datetime(frame[source.timestamp_field], utc=True)
    return frame[[*keys, "_latest"]].reset_index(drop=True)
