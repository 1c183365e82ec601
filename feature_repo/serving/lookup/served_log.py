"""What a scoring service served, logged in Feast's feature-logging shape, off the request path.

A request hands its served rows to ``ServedFeatureLog.record`` (a sampling draw and a list append:
no conversion, no I/O). A background thread turns what accumulated into one Arrow table every
``flush_seconds`` (or sooner, at ``max_rows``) and writes it with ``FeatureStore.write_logged_features``
to the feature service's ``LoggingConfig`` destination, through our offline store's
``write_logged_features`` (one Parquet file per batch and log date, written whole or not at all).

The columns are Feast's for the service (``FeatureServiceLoggingSource.get_schema``): the join
keys, the request fields, per feature ``<view>__<feature>``, ``..__timestamp`` and ``..__status``
(Feast's ``FieldStatus`` numbers), ``__log_timestamp``, ``__log_date``, ``__request_id``; then the
model's ``model_version`` and ``prediction``.

The background flush shares the interpreter with the requests: a request that waits for it waits
until the flush lets go (up to 5 ms, Python's switch interval, or a whole C call such as one Arrow
conversion of the batch: that was the p99 of logging on). So the thread's flush converts one
column at a time and pauses ``PAUSE_SECONDS`` between columns, off the interpreter: a request
waits at most one column's conversion. Given the service's ``idle`` event (set while it answers no
request), the flush converts its next column only once the service is idle, or after
``busy_wait_seconds`` of waiting (a busy service still gets its log written): the flush's work
goes in the gaps between requests rather than into them.

What a crash loses: the rows recorded since the last flush, at most ``flush_seconds`` of traffic
(5 s by default). A clean stop (the service's shutdown) flushes them.
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from feast import FeatureService, FeatureStore
from feast.feature_logging import FeatureServiceLoggingSource
from feast.protos.feast.serving.ServingService_pb2 import FieldStatus

from feature_repo.serving.lookup.online_features import FeatureStatus, FeatureValue

LOG_TIMESTAMP, LOG_DATE, REQUEST_ID = "__log_timestamp", "__log_date", "__request_id"
MODEL_VERSION, PREDICTION = "model_version", "prediction"
PAUSE_SECONDS = 0.0002  # between two columns of the background flush: requests run meanwhile
# Feast's FieldStatus numbers; a row starting after the lookup instant is not found at that instant
STATUS_NUMBERS = {
    FeatureStatus.PRESENT: FieldStatus.PRESENT,
    FeatureStatus.NULL_VALUE: FieldStatus.NULL_VALUE,
    FeatureStatus.NOT_FOUND: FieldStatus.NOT_FOUND,
    FeatureStatus.OUTSIDE_MAX_AGE: FieldStatus.OUTSIDE_MAX_AGE,
    FeatureStatus.NOT_YET_VALID: FieldStatus.NOT_FOUND,
}


@dataclass
class _Served:
    """One request's rows, as served (converted only when flushed)."""

    entity_rows: Sequence[Mapping[str, Any]]
    rows: Sequence[Mapping[str, FeatureValue]]
    predictions: Sequence[float]
    model_version: str
    request_id: str
    logged_at: datetime


@dataclass
class ServedFeatureLog:
    """Sampled, batched logging of one feature service's served rows (see the module's text)."""

    store: FeatureStore
    service: FeatureService
    output_views: Sequence[str]  # the view of each served name, as the reader's plan gives them
    output_names: Sequence[str]
    sample_rate: float
    flush_seconds: float = 5.0
    max_rows: int = 10_000
    idle: threading.Event | None = None  # set while the service answers no request
    busy_wait_seconds: float = 0.005  # the longest the flush waits for ``idle`` before a column
    _pending: list[_Served] = field(default_factory=list, init=False, repr=False)
    _pending_rows: int = field(default=0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _wake: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _stopped: threading.Event = field(default_factory=threading.Event, init=False, repr=False)
    _thread: threading.Thread | None = field(default=None, init=False, repr=False)
    _random: random.Random = field(default_factory=random.Random, init=False, repr=False)
    written_rows: int = field(default=0, init=False)
    failed_batches: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        source = FeatureServiceLoggingSource(self.service, self.store.project)
        self.schema = source.get_schema(self.store.registry)
        self._columns = _feature_columns(self.schema, self.output_views, self.output_names)

    def start(self) -> ServedFeatureLog:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="served-log", daemon=True)
            self._thread.start()
        return self

    def record(
        self,
        entity_rows: Sequence[Mapping[str, Any]],
        rows: Sequence[Mapping[str, FeatureValue]],
        predictions: Sequence[float],
        model_version: str,
        request_id: str | None = None,
        logged_at: datetime | None = None,
    ) -> bool:
        """Keep one request's served rows for the next flush, with probability ``sample_rate``
        (``logged_at``: when they were served, default now; a replay of past requests sets it)."""
        if self.sample_rate <= 0 or self._random.random() >= self.sample_rate:
            return False
        served = _Served(entity_rows, rows, predictions, model_version,
                         request_id or uuid.uuid4().hex, logged_at or datetime.now(UTC))  # fmt: skip
        with self._lock:
            self._pending.append(served)
            self._pending_rows += len(rows)
            full = self._pending_rows >= self.max_rows
        if full:
            self._wake.set()
        return True

    def flush(self, pause: bool = False) -> int:
        """Write what accumulated (one table); the number of rows written. ``pause``: between
        columns (the background thread's flush, beside requests)."""
        with self._lock:
            pending, self._pending, self._pending_rows = self._pending, [], 0
        if not pending:
            return 0
        try:
            table = self.table(pending, pause)
            self.store.write_logged_features(table, self.service)
        except Exception:
            # kept for the next flush (up to ten batches' worth, then the oldest are dropped)
            self.failed_batches += 1
            with self._lock:
                kept = [*pending, *self._pending]
                while sum(len(s.rows) for s in kept) > 10 * self.max_rows and len(kept) > 1:
                    kept.pop(0)
                self._pending = kept
                self._pending_rows = sum(len(s.rows) for s in kept)
            raise
        self.written_rows += table.num_rows
        return table.num_rows

    def stop(self) -> None:
        """Flush what is left and stop the background thread (the service's shutdown)."""
        self._stopped.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.flush_seconds + 30)
            self._thread = None
        self.flush()

    def table(self, pending: Sequence[_Served], pause: bool = False) -> pa.Table:
        """Feast's log columns (then the model's) for pending requests, column by column (the
        flush shares the process with requests: the shorter it holds the interpreter, the better;
        ``pause``: ``PAUSE_SECONDS`` after each feature's columns and each Arrow conversion)."""
        rest = self._between_columns if pause else _no_pause
        entity_rows = [entity for served in pending for entity in served.entity_rows]
        rows = [row for served in pending for row in served.rows]
        columns: dict[str, list] = {
            key: [entity.get(key) for entity in entity_rows]
            for key in self._columns.keys_and_requests
        }
        for name, (value_col, time_col, status_col) in self._columns.features.items():
            values = [row[name] for row in rows]
            columns[value_col] = [value.value for value in values]
            columns[time_col] = [value.event_time for value in values]
            columns[status_col] = [STATUS_NUMBERS[value.status] for value in values]
            rest(PAUSE_SECONDS)

        def each_row(attribute: str) -> list:
            return [getattr(s, attribute) for s in pending for _ in range(len(s.rows))]

        logged_at = each_row("logged_at")
        columns[LOG_TIMESTAMP], columns[LOG_DATE] = logged_at, [t.date() for t in logged_at]
        columns[REQUEST_ID], columns[MODEL_VERSION] = (
            each_row("request_id"),
            each_row("model_version"),
        )
        columns[PREDICTION] = [float(p) for s in pending for p in s.predictions]
        schema = self.schema.append(pa.field(MODEL_VERSION, pa.string())).append(
            pa.field(PREDICTION, pa.float64())
        )
        arrays = []
        for column in schema:  # one Arrow conversion (one C call) at a time
            arrays.append(pa.array(columns.pop(column.name), type=column.type))
            rest(PAUSE_SECONDS)
        return pa.Table.from_arrays(arrays, schema=schema)

    def _between_columns(self, seconds: float) -> None:
        """Off the interpreter for ``seconds``, then until the service is idle (at most
        ``busy_wait_seconds``): the next column is converted between requests."""
        time.sleep(seconds)
        if self.idle is not None:
            self.idle.wait(self.busy_wait_seconds)

    def _run(self) -> None:
        while not self._stopped.is_set():
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            if self._stopped.is_set():
                return
            try:
                self.flush(pause=True)
            except Exception:  # counted in failed_batches; the rows wait for the next flush
                continue


def _no_pause(seconds: float) -> None:
    """A flush called directly (a replay, the shutdown) does not pause."""


@dataclass(frozen=True)
class _LogColumns:
    keys_and_requests: tuple[str, ...]
    features: dict[str, tuple[str, str, str]]  # served name -> value, timestamp, status columns


def _feature_columns(
    schema: pa.Schema, output_views: Sequence[str], output_names: Sequence[str]
) -> _LogColumns:
    """Which log column holds each served name (``<view>__<feature>`` and its two companions)."""
    features = {}
    for view, name in zip(output_views, output_names, strict=True):
        column = f"{view}__{name}"
        if column not in schema.names:
            column = f"{view.split('@')[0]}__{name}"
        if column not in schema.names:
            raise ValueError(f"the log schema has no column for {view}:{name}: {schema.names}")
        features[name] = (column, f"{column}__timestamp", f"{column}__status")
    taken = {c for trio in features.values() for c in trio} | {LOG_TIMESTAMP, LOG_DATE, REQUEST_ID}
    return _LogColumns(tuple(c for c in schema.names if c not in taken), features)
