"""The materialization engine: Feast's local engine, streaming the latest rows from the offline
store to the online store in bounded Arrow batches.

Feast 0.67's local engine reads the whole pull into one Arrow table, deduplicates it again in
pandas, then converts it row by row into protobufs (``arrow_to_online_rows``). For a plain
feature view loaded with ``pull_latest_features`` (the offline store has already kept the latest
row per entity) this engine instead reads record batches of ``online_write_batch_size`` rows
(``to_arrow_batches`` when the offline job has it), encodes each a column at a time
(``encoded_rows``) and hands it to the online store's ``bulk_load`` writer, whose ``prepare``
(the store's requests, built in Python) runs with the read and the encoding in a second thread
while the previous batch is written: the same bytes, in
Feast's layout, as the stock path writes. An online store without ``bulk_load`` gets each batch
converted by Feast and written with its ``online_write_batch``. Anything else (on-demand, batch
views with transformations or aggregations, views written offline, a full-history pull) runs
through Feast's local engine unchanged. Each streamed view reports its batches and rows on standard
error (``feature_repo.core.progress_display.engine_reporter``: in ``feast materialize`` too, a bar on a
terminal, plain lines in a log).

    batch_engine:
      type: feature_repo.online.batch_engine.StreamingComputeEngine
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import closing
from inspect import signature
from typing import Literal

import pyarrow as pa
from feast import FeatureView
from feast.infra.common.materialization_job import MaterializationJobStatus, MaterializationTask
from feast.infra.compute_engines.local.compute import LocalComputeEngine, LocalComputeEngineConfig
from feast.infra.compute_engines.local.job import LocalMaterializationJob
from feast.infra.compute_engines.utils import create_offline_store_retrieval_job
from feast.infra.registry.base_registry import BaseRegistry
from feast.value_type import ValueType

from feature_repo.core.feast_internals import arrow_to_online_rows, column_info
from feature_repo.core.progress_display import engine_reporter
from feature_repo.online.encoded_rows import encode_rows
from feature_repo.online.prefetch import prefetched

ENGINE_TYPE = "feature_repo.online.batch_engine.StreamingComputeEngine"
DEFAULT_BATCH_ROWS = 10_000


class StreamingComputeEngineConfig(LocalComputeEngineConfig):
    """No settings of its own: batches are ``materialization.online_write_batch_size`` rows."""

    type: Literal["feature_repo.online.batch_engine.StreamingComputeEngine"] = ENGINE_TYPE  # type: ignore[assignment]


class StreamingComputeEngine(LocalComputeEngine):
    """Feast's local engine, with plain feature views streamed batch by batch to the online store."""

    def _materialize_one(
        self, registry: BaseRegistry, task: MaterializationTask, **kwargs
    ) -> LocalMaterializationJob:
        if not self._streams(task):
            return super()._materialize_one(registry, task, **kwargs)
        job_id = f"{task.feature_view.name}-{task.start_time}-{task.end_time}"
        try:
            self._stream(registry, task)
        except Exception as error:  # reported through the job, as Feast's local engine does
            return LocalMaterializationJob(job_id, MaterializationJobStatus.ERROR, error)
        return LocalMaterializationJob(job_id, MaterializationJobStatus.SUCCEEDED)

    def _streams(self, task: MaterializationTask) -> bool:
        view = task.feature_view
        return (
            type(view) is FeatureView
            and view.online
            and not view.offline
            and view.batch_source is not None
            and task.only_latest
            and bool(self.repo_config.materialization_config.pull_latest_features)
        )

    def _stream(self, registry: BaseRegistry, task: MaterializationTask) -> None:
        view = task.feature_view
        config = self.repo_config
        join_keys = {e.name: e.dtype.to_value_type() for e in view.entity_columns}
        key_order = getattr(self.online_store, "loads_in_key_order", False) and list(
            join_keys.values()
        ) == [ValueType.INT64]
        batches = self._latest_batches(registry, task, key_order)
        bulk_load = getattr(self.online_store, "bulk_load", None)
        can_bulk_load = getattr(self.online_store, "can_bulk_load", lambda _: True)
        shown = engine_reporter().task(f"materialize {view.name}", None, "batches")
        if bulk_load is None or not can_bulk_load(config):
            with closing(batches), shown as progress:
                for batch in batches:
                    rows = arrow_to_online_rows(batch, view, join_keys)
                    self.online_store.online_write_batch(config, view, rows, None)
                    progress.advance(rows=batch.num_rows)
            return
        version = config.entity_key_serialization_version
        with closing(batches), bulk_load(config, view) as writer, shown as progress:
            prepared = (
                (b.num_rows, writer.prepare(encode_rows(b, view, join_keys, version)))
                for b in batches
            )
            with closing(prefetched(prepared)) as requests:
                for rows, request in requests:
                    writer.write(request)
                    progress.advance(rows=rows)

    def _latest_batches(
        self, registry: BaseRegistry, task: MaterializationTask, key_order: bool
    ) -> Iterator[pa.RecordBatch]:
        """The latest row per entity in the task's window, in batches named as the view names
        them; with ``key_order``, in the order of the serialized entity keys when the offline job
        can sort them (``to_arrow_batches(rows, key_order=...)``, the project's DuckDB store, which
        sorts each part of its pull: ``feature_repo.offline.latest_rows_job``)."""
        view = task.feature_view
        columns = column_info(registry, task, view)
        job = create_offline_store_retrieval_job(
            data_source=view.batch_source,
            context=self.get_execution_context(registry, task),
            start_time=task.start_time,
            end_time=task.end_time,
            column_info=columns,
        )
        rows = self.repo_config.materialization_config.online_write_batch_size or DEFAULT_BATCH_ROWS
        batch_reader = getattr(job, "to_arrow_batches", None)
        if batch_reader and key_order and "key_order" in signature(batch_reader).parameters:
            batches = batch_reader(rows, key_order=columns.join_keys[0])
        elif batch_reader:
            batches = batch_reader(rows)
        else:
            batches = job.to_arrow().to_batches(max_chunksize=rows)
        mapping = columns.field_mapping or {}
        reading = iter(batches)
        try:
            for batch in reading:
                if batch.num_rows:
                    yield batch.rename_columns([mapping.get(c, c) for c in batch.schema.names])
        finally:  # the offline reader is released on an error too
            getattr(reading, "close", lambda: None)()
