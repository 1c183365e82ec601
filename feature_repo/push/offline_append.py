"""The pushed-orders dataset: every checked push batch appended, in the raw transactions' columns
and types, as one Parquet file under ``<raw>/pushed_transactions/`` (written beside its target
and renamed into place: a reader sees a whole batch or none; on S3 (the ``aws`` profile) also put
under the data location's ``raw/pushed_transactions``, before the local rename). ``build-features`` reads the raw
transactions and these files (``pipeline.pushed_orders``), a ``transaction_id`` counting once, so
the next batch build and load give the values the push gave online.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from operator import attrgetter
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from feature_repo.core.atomic_files import write_files_atomically
from feature_repo.core.disk_space import out_of_space_named
from feature_repo.pipeline.pushed_orders import SCHEMA, pushed_dir
from feature_repo.pipeline.remote import publish_pushed_batch
from feature_repo.push.orders import PushedOrder


def append_pushed(raw: Path, orders: list[PushedOrder]) -> Path | None:
    """Append ``orders`` as one new batch file; returns it (``None`` when there is nothing)."""
    if not orders:
        return None
    columns = {column: list(map(attrgetter(column), orders)) for column in SCHEMA.names}
    # naive UTC, as the raw Parquet file holds it (an order's date is an aware UTC Timestamp);
    # the cast to microseconds is safe: it refuses to drop a nanosecond part
    nanos = pa.array([date.value for date in columns["transaction_date"]], pa.timestamp("ns"))
    columns["transaction_date"] = nanos.cast(SCHEMA.field("transaction_date").type)
    table = pa.table(columns, schema=SCHEMA)  # from the values, not through pandas (a third)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    target = pushed_dir(raw) / f"batch-{stamp}-{uuid.uuid4().hex[:8]}.parquet"
    kept = "No order of this batch was applied (offline or online)"
    with out_of_space_named(target.parent, "appending pushed orders", kept):
        write_files_atomically({target: lambda path: _written(table, path, target.name)})
    return target


def _written(table: pa.Table, path: Path, name: str) -> None:
    """The batch file, and its copy on S3 when the data is there: both before the local file is
    renamed into place, so a failed upload leaves no local batch either."""
    pq.write_table(table, path)
    publish_pushed_batch(path, name)
