"""The first online load, as of the data horizon, for views never materialized.

``feast materialize-incremental`` starts a first run at *now* - TTL, which loads nothing from data
older than that; the backfill gives it a start. Views already materialized are left to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from feast import FeatureStore

from feature_repo.core import progress
from feature_repo.core.paths import features_dir
from feature_repo.online.materialization_check import materialize_checked
from feature_repo.online.translation import online_store_errors
from feature_repo.pipeline.build import read_feature_tables
from feature_repo.quality.gate import enforce
from feature_repo.repository.store import require_applied


@dataclass(frozen=True)
class BackfillResult:
    view: str
    start: datetime
    end: datetime


def backfill_online(store: FeatureStore, end: datetime) -> list[BackfillResult]:
    """Load the online store once for views never materialized, as of ``end``, honouring each view's TTL.

    The feature tables pass the quality gate first; the online store's client errors are translated.
    """
    pending = [
        v
        for v in require_applied(store).list_feature_views()
        if v.most_recent_end_time is None and v.online
    ]
    if pending:
        enforce(
            read_feature_tables(features_dir()),
            step="Loading the online store",
            as_of=pd.Timestamp(end),
        )
    done = []
    with (
        online_store_errors(store),
        progress.task("backfill-online", total=len(pending), unit="views") as task,
    ):
        for view in pending:
            start = end - view.ttl if view.ttl else datetime(1970, 1, 1, tzinfo=end.tzinfo)
            materialize_checked(store, start, end, [view.name])
            done.append(BackfillResult(view.name, start, end))
            task.advance()
    return done
