"""The offline store's retrieval job for materialization's pull: the latest row per entity,
computed by DuckDB (``latest_rows``), whole as Arrow or streamed in record batches part by part.

Streamed, a pull whose view has a single integer join key is split into parts of about
``part_entities`` entities by ranges of that key (``latest_rows.part_bounds``), one DuckDB query
each: DuckDB holds one part's latest rows while it ranks or sorts them, not the whole window's, so
materialization's memory is bounded by a part and not by the data. With the feature tables
clustered by entity (as ``build-features`` writes them), each part's query reads only the Parquet
row groups of its keys. A load in key order is ordered within each part."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial

import ibis
import pyarrow as pa
from feast.infra.offline_stores.ibis import IbisRetrievalJob

from feature_repo.offline.duckdb_results import BATCH_ROWS, arrow_reader, release_buffers
from feature_repo.offline.latest_rows import (
    in_key_part,
    in_little_endian_order,
    key_spread,
    latest_rows,
    part_bounds,
)

PART_ENTITIES = 50_000  # entities per part of a streamed pull


class LatestRowsJob(IbisRetrievalJob):
    """The latest row per entity, computed by DuckDB; Arrow whole or in record batches."""

    source: ibis.Table | None = None  # the rows the parts are cut from
    latest_of = staticmethod(lambda rows: rows)  # rows -> their latest row per entity
    part_key: str | None = None  # the single integer join key the parts are ranges of
    part_entities: int = PART_ENTITIES

    @classmethod
    def pulling(
        cls,
        source: ibis.Table,
        join_keys: list[str],
        features: list[str],
        timestamp_field: str,
        created_timestamp_column: str | None,
        start: datetime,
        end: datetime,
        part_entities: int = PART_ENTITIES,
        **writing,
    ) -> LatestRowsJob:
        """The job of ``latest_rows`` over ``source``; ``writing``: ``IbisRetrievalJob``'s
        writing options."""
        latest_of = partial(
            latest_rows, join_keys=join_keys, features=features, timestamp_field=timestamp_field,
            created_timestamp_column=created_timestamp_column, start=start, end=end,
        )  # fmt: skip
        job = cls(
            table=latest_of(source), on_demand_feature_views=[], full_feature_names=False,
            metadata=None, **writing,
        )  # fmt: skip
        job.source, job.latest_of = source, latest_of
        single = join_keys[0] if len(join_keys) == 1 else None
        key_type = source.schema().get(single) if single else None
        job.part_key = single if key_type is not None and key_type.is_integer() else None
        job.part_entities = part_entities
        return job

    def to_arrow_batches(
        self, rows: int = BATCH_ROWS, key_order: str | None = None
    ) -> Iterator[pa.RecordBatch]:
        """The rows as Arrow record batches of at most ``rows``, streamed from DuckDB part by part
        (``parts``); with ``key_order``, each part in the order of that Int64 join key's
        serialized form (``latest_rows.in_little_endian_order``)."""
        connection = self.table.get_backend().con
        try:
            for part in self.parts():
                table = in_little_endian_order(part, key_order) if key_order else part
                reader = arrow_reader(table, rows)
                try:
                    yield from reader
                finally:  # a reader left open blocks the next query on the shared connection
                    reader.close()
        finally:
            release_buffers(connection)

    def parts(self) -> list[ibis.Table]:
        """The latest rows, as queries of about ``part_entities`` entities each (ranges of the
        integer join key, in increasing order); the whole query when it has no such key or the
        source has fewer entities."""
        if self.source is None or self.part_key is None:
            return [self.table]
        key = self.part_key
        spread = key_spread(self.source, key).execute()
        entities, quantiles = int(spread["entities"][0]), list(spread["quantiles"][0] or [])
        bounds = part_bounds(entities, quantiles, self.part_entities)
        if not bounds:
            return [self.table]
        ranges = zip([None, *bounds], [*bounds, None], strict=True)
        return [self.latest_of(in_key_part(self.source, key, low, high)) for low, high in ranges]
