"""Former home of the store operations, kept so that notebooks and scripts written against it run.

New code imports from the modules that hold each operation: ``store`` (open_store), ``horizon``
(data_horizon), ``online_backfill`` (backfill_online), ``training_frames`` (training frames and
saved datasets) and ``demo_lookups``.
"""

from feature_repo.demo_lookups import online_lookup
from feature_repo.horizon import data_horizon
from feature_repo.online_backfill import BackfillResult, backfill_online
from feature_repo.store import open_store
from feature_repo.timestamps import utc_columns as utc_timestamps
from feature_repo.training_frames import sample_training_entities, save_training_set, training_frame

__all__ = [
    "BackfillResult",
    "backfill_online",
    "data_horizon",
    "online_lookup",
    "open_store",
    "sample_training_entities",
    "save_training_set",
    "training_frame",
    "utc_timestamps",
]
