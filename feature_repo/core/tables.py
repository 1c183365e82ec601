"""The feature tables, each declared once: name, what a row is, how rows are ordered, how fresh it must be.

Everything else is derived from these declarations: the Parquet file the pipeline writes and the
Feast source that reads it (``definitions/sources.py``), the expectations checked on it
(``quality/expectations.py``, one schema per declared table), the builder that computes it
(``pipeline/builders.py``) and the files published to S3 (``pipeline/remote.py``). This module
sits at the bottom of the package (it imports nothing of the project), so the Feast definitions
may import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class FeatureTable:
    """One feature table: a Parquet file of rows keyed by an entity and an event time."""

    name: str
    description: str  # what one row is; the Feast source's description, shown in the catalogue
    order: tuple[str, ...]  # the columns the rows are sorted by in the file
    max_staleness: timedelta | None = None  # newest event allowed this far before the horizon

    @property
    def file_name(self) -> str:
        return f"{self.name}.parquet"

    @property
    def source_name(self) -> str:
        return f"{self.name}_source"


USER_PROFILE = FeatureTable(
    name="user_profile",
    description="One row per user at registration and at every birthday.",
    order=("user_id", "event_timestamp"),
)

USER_ORDER_STATS = FeatureTable(
    name="user_order_stats",
    description="One row per user each time a trailing-window statistic changes.",
    order=("user_id", "event_timestamp"),
    max_staleness=timedelta(days=2),
)

TRANSACTION_FEATURES = FeatureTable(
    name="transaction_features",
    description="One row per transaction, at the instant it is placed.",
    order=("user_id", "event_timestamp", "transaction_id"),
    max_staleness=timedelta(days=2),
)

USER_ORDER_LEDGER = FeatureTable(
    name="user_order_ledger",
    description="One row per user: the orders of the longest window before the latest one, as of the build.",
    order=("user_id",),
)

FEATURE_TABLES: tuple[FeatureTable, ...] = (USER_PROFILE, USER_ORDER_STATS, TRANSACTION_FEATURES)
# Tables for serving only, derived from the feature tables once they are built (not for training).
SERVING_TABLES: tuple[FeatureTable, ...] = (USER_ORDER_LEDGER,)
ALL_TABLES: tuple[FeatureTable, ...] = FEATURE_TABLES + SERVING_TABLES
TABLES_BY_NAME: dict[str, FeatureTable] = {table.name: table for table in ALL_TABLES}
