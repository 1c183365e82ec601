"""The project's offline store: Feast's DuckDB store with valid entity frames accepted, on-demand
features computed on whole columns, and a latest-row pull that stays in DuckDB.

- ``get_historical_features`` normalizes the entity frame (``entity_frame``), runs Feast's
  point-in-time join unchanged, and computes tagged on-demand views vectorised (``on_demand``).
- ``pull_latest_from_table_or_query`` (materialization with ``pull_latest_features: true``) keeps
  the latest row per entity inside DuckDB (Feast's tie rule: latest event, then created timestamp)
  and hands back Arrow, whole or as record batches streamed part by part (``latest_rows_job``:
  DuckDB holds one part's entities at a time), never a pandas history.

Subclasses override ``read_source`` (the S3 store). Select it with ``offline_store: {type:
feature_repo.offline.duckdb_store.DeliveryDuckDBOfflineStore}``."""

from __future__ import annotations

from datetime import datetime

import ibis
import pandas as pd
import pyarrow as pa
from feast.data_format import ParquetFormat
from feast.data_source import DataSource
from feast.infra.offline_stores.duckdb import DuckDBOfflineStore, DuckDBOfflineStoreConfig
from feast.infra.offline_stores.file_source import FileSource
from feast.infra.offline_stores.ibis import (
    IbisRetrievalJob,
    get_historical_features_ibis,
    pull_all_from_table_or_query_ibis,
)
from feast.infra.offline_stores.offline_store import RetrievalJob, RetrievalMetadata
from feast.infra.offline_stores.offline_utils import infer_event_timestamp_from_entity_df
from feast.on_demand_feature_view import OnDemandFeatureView
from feast.repo_config import RepoConfig
from pydantic import StrictInt, StrictStr

from feature_repo.core.feast_internals import duckdb_read_source, duckdb_write_source
from feature_repo.core.feature_refs import parse_feature_ref, versioned_view
from feature_repo.offline.duckdb_results import arrow_reader
from feature_repo.offline.duckdb_results import duckdb_memory as _duckdb_memory
from feature_repo.offline.entity_frame import normalized_entity_frame
from feature_repo.offline.feature_logs import write_feature_log
from feature_repo.offline.latest_rows_job import PART_ENTITIES, LatestRowsJob
from feature_repo.offline.on_demand import append_on_demand_columns, split_by_vectorised
from feature_repo.offline.point_in_time import ROW, asof_training_table, in_entity_order

# DuckDB's memory while it joins a training frame: beyond it, the ASOF join's sorted sides spill to
# disk. A million entity rows at x10 (quiet machine; raw ASOF baseline 5.2 s, 4.4 GB): unbounded
# 5.4 s, 4.4 GB; 3GB 5.8 s, 3.7 GB; 2GB 7.1 s, 2.8 GB (spilling).
HISTORICAL_MEMORY_LIMIT = "3GB"


class DeliveryDuckDBOfflineStoreConfig(DuckDBOfflineStoreConfig):
    type: StrictStr = "feature_repo.offline.duckdb_store.DeliveryDuckDBOfflineStore"
    historical_memory_limit: StrictStr | None = HISTORICAL_MEMORY_LIMIT  # None: DuckDB's default
    # entities per part of materialization's streamed pull (``latest_rows_job``)
    latest_part_entities: StrictInt = PART_ENTITIES


class TrainingRetrievalJob(IbisRetrievalJob):
    """Feast's job, with the on-demand views that have a vectorised form computed on columns;
    the others are still run by Feast (``on_demand_feature_views`` lists only those)."""

    positioned = False  # whether ``table`` carries the entity rows' positions (the ASOF join)
    vectorised_views: tuple = ()  # on-demand views computed here, on columns
    memory_limit: str | None = None  # DuckDB's while it runs the ASOF join

    @classmethod
    def wrapping(
        cls, job: IbisRetrievalJob, positioned: bool = False, memory_limit: str | None = None
    ) -> TrainingRetrievalJob:
        """``job`` with the on-demand views that have a vectorised form taken over."""
        vectorised, others = split_by_vectorised(job.on_demand_feature_views)
        wrapped = cls(
            table=job.table, on_demand_feature_views=others, repo_path=job.repo_path,
            full_feature_names=job.full_feature_names, metadata=job.metadata,
            data_source_writer=job.data_source_writer, staging_location=job.staging_location,
            staging_location_endpoint_override=job.staging_location_endpoint_override,
        )  # fmt: skip
        wrapped.vectorised_views = vectorised
        wrapped.positioned = positioned
        wrapped.memory_limit = memory_limit
        if positioned:  # what ``persist`` and other users of ``table`` see
            wrapped.positioned_table, wrapped.table = job.table, job.table.drop(ROW)
        return wrapped

    def to_df(self, validation_reference=None, timeout: int | None = None) -> pd.DataFrame:
        """Feast's ``to_df``, releasing each Arrow column once converted (one copy at a time)."""
        table = self.to_arrow(validation_reference=validation_reference, timeout=timeout)
        frame = table.to_pandas(self_destruct=True)
        frame.index = pd.RangeIndex(len(frame))  # in place: ``reset_index`` copies every column
        return frame

    def _to_arrow_internal(self, timeout: int | None = None) -> pa.Table:
        if self.positioned:
            table = in_entity_order(_streamed(self.positioned_table, self.memory_limit))
        else:
            table = super()._to_arrow_internal(timeout)
        requested = self._requested_columns()
        for view in self.vectorised_views:
            wanted = requested.get(view.name, requested.get(view.projection.name_to_use()))
            table = append_on_demand_columns(table, view, self.full_feature_names, wanted)
        return table

    def _requested_columns(self) -> dict[str, set[str]]:
        """Output columns asked for, by on-demand view (as Feast's ``to_arrow`` selects them)."""
        requested: dict[str, set[str]] = {}
        refs = self.metadata.features if self.metadata else []
        for ref in refs:
            parsed = parse_feature_ref(ref)
            view_name, feature = versioned_view(parsed.view, parsed.version), parsed.feature
            for view in self.vectorised_views:
                if view_name in (view.name, view.projection.name_to_use()):
                    column = (
                        f"{view.projection.name_to_use()}__{feature}"
                        if self.full_feature_names
                        else feature
                    )
                    requested.setdefault(view_name, set()).add(column)
        return requested


def _streamed(table: ibis.Table, memory_limit: str | None = None) -> pa.Table:
    """The rows of ``table`` as one Arrow table, gathered batch by batch (DuckDB does not hold a
    materialized copy of the whole result meanwhile), DuckDB held to ``memory_limit`` meanwhile."""
    with _duckdb_memory(table.get_backend().con, memory_limit):
        reader = arrow_reader(table)
        return pa.Table.from_batches(list(reader), schema=reader.schema)


def _job_writing(arguments: dict) -> dict:
    """The writing options of an ``IbisRetrievalJob``, by keyword, from ``_with_reading``'s."""
    names = ("data_source_writer", "staging_location", "staging_location_endpoint_override")
    return {**{n: arguments[n] for n in names}, "repo_path": str(arguments["config"].repo_path)}


class DeliveryDuckDBOfflineStore(DuckDBOfflineStore):
    """DuckDBOfflineStore with normalized entity frames, vectorised on-demand views and a
    latest-row pull streamed from DuckDB."""

    @staticmethod
    def write_logged_features(config, data, source, logging_config, registry) -> None:
        """Feast's layout for served-feature logs, each batch written whole (``feature_logs``)."""
        destination = logging_config.destination
        write_feature_log(data, destination.path, destination.partition_by)

    @staticmethod
    def read_source(data_source: DataSource, repo_path: str) -> ibis.Table:
        """One source as an ibis table: a local Parquet ``FileSource`` directly, any other through
        Feast's reader (which first imports the Iceberg, Lance and MLflow readers, about 1.5 s
        of a first call). Subclasses read other locations."""
        path = getattr(data_source, "path", "") or ""
        plain_parquet = type(data_source) is FileSource and (
            isinstance(data_source.file_format, ParquetFormat)
            or (data_source.file_format is None and path.endswith(".parquet"))
        )
        if plain_parquet and "://" not in path:
            return ibis.read_parquet(path)
        return duckdb_read_source(data_source, repo_path)

    @classmethod
    def _with_reading(cls, arguments: dict) -> dict:
        """A call's arguments (without ``cls``) plus Feast's DuckDB reading options, our reader."""
        config = arguments["config"]
        return {
            **{name: value for name, value in arguments.items() if name != "cls"},
            "data_source_reader": cls.read_source,
            "data_source_writer": duckdb_write_source,
            "staging_location": config.offline_store.staging_location,
            "staging_location_endpoint_override": (
                config.offline_store.staging_location_endpoint_override
            ),
        }

    @classmethod
    def get_historical_features(
        cls,
        config: RepoConfig,
        feature_views: list,
        feature_refs: list[str],
        entity_df: pd.DataFrame | str,
        registry,
        project: str,
        full_feature_names: bool = False,
        filter_by_created_timestamp: bool = False,
    ) -> RetrievalJob:
        entity_df = normalized_entity_frame(entity_df)
        arguments = cls._with_reading(locals())
        if filter_by_created_timestamp or not isinstance(entity_df, pd.DataFrame):
            return TrainingRetrievalJob.wrapping(get_historical_features_ibis(**arguments))
        event_timestamp_column = infer_event_timestamp_from_entity_df(
            dict(zip(entity_df.columns, entity_df.dtypes, strict=True))
        )
        table = asof_training_table(
            entity_df, event_timestamp_column, feature_views, feature_refs, full_feature_names,
            lambda source: cls.read_source(source, str(config.repo_path)),
        )  # fmt: skip
        on_demand = OnDemandFeatureView.get_requested_odfvs(feature_refs, project, registry)
        for view in on_demand:
            if view.mode == "substrait":
                table = view.transform_ibis(table, full_feature_names)
        stamps = entity_df[event_timestamp_column]
        metadata = RetrievalMetadata(
            features=feature_refs,
            keys=[c for c in entity_df.columns if c != event_timestamp_column],
            min_event_timestamp=stamps.min().to_pydatetime(),
            max_event_timestamp=stamps.max().to_pydatetime(),
        )
        job = IbisRetrievalJob(
            table=table, on_demand_feature_views=[v for v in on_demand if v.mode != "substrait"],
            full_feature_names=full_feature_names, metadata=metadata, **_job_writing(arguments),
        )  # fmt: skip
        limit = getattr(config.offline_store, "historical_memory_limit", HISTORICAL_MEMORY_LIMIT)
        return TrainingRetrievalJob.wrapping(job, positioned=True, memory_limit=limit)

    @classmethod
    def pull_latest_from_table_or_query(
        cls,
        config: RepoConfig,
        data_source: DataSource,
        join_key_columns: list[str],
        feature_name_columns: list[str],
        timestamp_field: str,
        created_timestamp_column: str | None,
        start_date: datetime,
        end_date: datetime,
    ) -> RetrievalJob:
        arguments = cls._with_reading(locals())
        part_entities = getattr(config.offline_store, "latest_part_entities", PART_ENTITIES)
        return LatestRowsJob.pulling(
            cls.read_source(data_source, str(config.repo_path)), join_key_columns,
            feature_name_columns, timestamp_field, created_timestamp_column, start_date, end_date,
            part_entities, **_job_writing(arguments),
        )  # fmt: skip

    @classmethod
    def pull_all_from_table_or_query(
        cls,
        config: RepoConfig,
        data_source: DataSource,
        join_key_columns: list[str],
        feature_name_columns: list[str],
        timestamp_field: str,
        created_timestamp_column: str | None = None,
        start_date: datetime | None = None,
        end_date: datetime | None = None,
    ) -> RetrievalJob:
        return pull_all_from_table_or_query_ibis(**cls._with_reading(locals()))
