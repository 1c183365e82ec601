"""Online rows from SQLite: one ``SELECT ... WHERE entity_key IN (...)`` per view, all views of a
call in one statement (``UNION ALL``); a view read for a few of its features reads only those rows.

Layout (Feast's): one table per view (``project_view``, versioned name), one row per entity and
feature: ``entity_key`` (serialized), ``feature_name``, ``value`` (serialized ``ValueProto``),
``event_ts`` (Unix seconds, read back as Feast does). The database is opened read-only and never
created: a missing file is an error, not an empty store. One connection per thread.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from feast import FeatureStore
from feast.infra.online_stores.helpers import compute_table_id

from feature_repo.core.feast_internals import sqlite_db_path
from feature_repo.serving.plan import ServicePlan
from feature_repo.serving.stored_rows import KeysByView, RowsByView, StoredRow

# A lookup reads a few pages of each view's B-tree. Mapped into memory, pages already in the
# operating system's cache are read without a system call and a copy each: the one-user
# statement of the x10 store (2.5 GB) took a median 40 us against 54 us read through SQLite's
# own page reads, once the process had touched its pages, and 42-48 against 51-55 us before.
# SQLite caps the mapping at its compile-time limit (2 GiB in common builds); pages beyond it are
# read as before. Writers are unaffected: SQLite writes through its usual I/O, and a mapped
# reader sees the committed pages a reading connection sees.
MAPPED_BYTES = 1 << 40


class SqliteReader:
    def __init__(self, store: FeatureStore, plan: ServicePlan) -> None:
        self.uri = Path(sqlite_db_path(store.config)).absolute().as_uri() + "?mode=ro"
        self.local = threading.local()
        self.statements: dict[tuple[int, ...], str] = {}
        versioned = store.config.registry.enable_online_feature_view_versioning
        self.views = []  # (view key, table and feature filter, feature position by name)
        for view in plan.views:
            table = _quoted(compute_table_id(store.config.project, view.view, versioned), '"')
            if len(view.features) < len(view.view.features):  # a few of many: read those only
                names = ",".join(_quoted(name, "'") for name in view.features)
                table += f" WHERE feature_name IN ({names}) AND"
            else:
                table += " WHERE"
            positions = {name: i for i, name in enumerate(view.features)}
            self.views.append((view.key, table, positions))
        self.positions = [positions for _, _, positions in self.views]

    def _connection(self) -> sqlite3.Connection:
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = sqlite3.connect(self.uri, uri=True, check_same_thread=False)
            connection.execute(f"PRAGMA mmap_size = {MAPPED_BYTES}").fetchall()
            self.local.connection = connection
        return connection

    def read(self, keys: KeysByView) -> RowsByView:
        """Each view's rows of its keys, all views in one statement (``UNION ALL`` of one
        ``SELECT ... IN`` per view: one call into SQLite instead of one per view)."""
        uniques = [list(dict.fromkeys(keys[view_key])) for view_key, _, _ in self.views]
        sizes = tuple(len(unique) for unique in uniques)
        parameters = [key for unique in uniques for key in unique]
        rows = self._connection().execute(self._select(sizes), parameters).fetchall()
        if max(sizes) == 1:  # one entity (a user's lookup): every row of a view is its own
            return self._one_entity(rows, keys)
        by_view: list[list[tuple]] = [[] for _ in self.views]  # by position in the statement
        for row in rows:
            by_view[row[0]].append(row)
        result: RowsByView = {}
        for (view_key, _, positions), unique, rows_of_view in zip(
            self.views, uniques, by_view, strict=True
        ):
            only = unique[0] if len(unique) == 1 else None  # its rows' key is not fetched
            found: dict[bytes, StoredRow] = {}
            for _, key, name, value, stamp in rows_of_view:
                key = only or key
                position = positions.get(name)
                entry = found.get(key)
                if entry is None:
                    entry = found[key] = StoredRow(_instant(stamp), [None] * len(positions))
                if position is not None:
                    entry.values[position] = value
            result[view_key] = [found.get(key) for key in keys[view_key]]
        return result

    def _one_entity(self, rows: list[tuple], keys: KeysByView) -> RowsByView:
        """The rows of one entity per view, in one pass (the event time of a view's first row)."""
        values: list[list[bytes | None] | None] = [None] * len(self.views)
        stamps: list[int | None] = [None] * len(self.views)
        positions = self.positions
        for view, _, name, value, stamp in rows:
            found = values[view]
            if found is None:
                found = values[view] = [None] * len(positions[view])
                stamps[view] = stamp
            position = positions[view].get(name)
            if position is not None:
                found[position] = value
        return {
            view_key: [None if found is None else StoredRow(_instant(stamp), found)]
            * len(keys[view_key])
            for (view_key, _, _), found, stamp in zip(self.views, values, stamps, strict=True)
        }

    def _select(self, sizes: tuple[int, ...]) -> str:
        """The statement reading ``sizes[i]`` entities of view ``i`` (built once per sizes); the
        rows of a view read for one entity are all its own, so their key is not fetched."""
        statement = self.statements.get(sizes)
        if statement is None:
            statement = self.statements[sizes] = " UNION ALL ".join(
                f"SELECT {i}, {'entity_key' if size > 1 else 'NULL'}, feature_name, value, "
                f"event_ts FROM {table} entity_key IN ({','.join('?' * size)})"
                for i, ((_, table, _), size) in enumerate(zip(self.views, sizes, strict=True))
            )
        return statement


def _quoted(name: str, quote: str) -> str:
    return quote + name.replace(quote, quote * 2) + quote


def _instant(stamp) -> datetime | None:
    """Feast's reading of ``event_ts``: ``datetime.fromtimestamp(seconds)`` taken as UTC; on a
    host whose local time is UTC (no offset, no summer time: ``time.tzset``'s reading), the same
    instant without the local-time conversion (half the time)."""
    if stamp is None:
        return None
    if time.timezone == 0 and not time.daylight:
        return datetime.fromtimestamp(int(stamp), UTC)
    return datetime.fromtimestamp(int(stamp)).replace(tzinfo=UTC)
