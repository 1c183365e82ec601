"""How old each view's newest online row is, as a Prometheus gauge computed at most every
``CACHE_SECONDS`` (a scrape in between gets the cached figures).

``feature_store_online_newest_row_age_seconds{view, source}``: now minus the newest event time
online. On SQLite it is exact (``max(event_ts)`` of the view's table: a scan of the table, hence
the cache), pushed rows included (``source="rows"``). On Redis and DynamoDB finding the
newest row would read every key, so the figure is the end of the view's latest materialization in
the registry (``source="materialization"``); pushes do not move it there.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from feast import FeatureStore
from feast.infra.online_stores.helpers import compute_table_id
from prometheus_client.core import GaugeMetricFamily

from feature_repo.core.errors import FeatureStoreError
from feature_repo.core.feast_internals import sqlite_db_path
from feature_repo.online.translation import online_backend

CACHE_SECONDS = 30.0
METRIC = "feature_store_online_newest_row_age_seconds"


def newest_online_rows(store: FeatureStore) -> tuple[str, dict[str, datetime | None]]:
    """(source, the newest event time online per feature view, ``None`` for an empty view)."""
    views = [view for view in store.list_feature_views() if view.online]
    if online_backend(store.config.online_store) != "sqlite":
        return "materialization", {view.name: view.most_recent_end_time for view in views}
    versioned = store.config.registry.enable_online_feature_view_versioning
    uri = Path(sqlite_db_path(store.config)).absolute().as_uri() + "?mode=ro"
    newest: dict[str, datetime | None] = {}
    with sqlite3.connect(uri, uri=True) as connection:
        for view in views:
            table = compute_table_id(store.config.project, view, versioned).replace('"', '""')
            (seconds,) = connection.execute(f'SELECT max(event_ts) FROM "{table}"').fetchone()
            # read back as Feast reads event_ts (serving/sqlite_reader.py)
            newest[view.name] = (
                None
                if seconds is None
                else datetime.fromtimestamp(int(seconds)).replace(tzinfo=UTC)
            )
    return "rows", newest


class OnlineFreshness:
    """A collector of the gauge, for ``store``; its figures are at most ``CACHE_SECONDS`` old."""

    def __init__(self, store: FeatureStore, cache_seconds: float = CACHE_SECONDS) -> None:
        self.store = store
        self.cache_seconds = cache_seconds
        self.lock = threading.Lock()
        self.computed_at = -float("inf")
        self.figures: tuple[str, dict[str, datetime | None]] = ("rows", {})

    def describe(self):
        return [GaugeMetricFamily(METRIC, "", labels=["view", "source"])]

    def collect(self):
        with self.lock:
            if time.monotonic() - self.computed_at >= self.cache_seconds:
                try:
                    self.figures = newest_online_rows(self.store)
                except (sqlite3.Error, FeatureStoreError):  # /readyz says why; no figures meanwhile
                    self.figures = ("rows", {})
                self.computed_at = time.monotonic()
            source, newest = self.figures
        gauge = GaugeMetricFamily(
            METRIC,
            "Seconds since the newest event time online, per view.",
            labels=["view", "source"],
        )
        now = datetime.now(UTC)
        for view, instant in sorted(newest.items()):
            if instant is not None:
                gauge.add_metric([view, source], (now - instant).total_seconds())
        yield gauge
