"""The ``user_order_ledger`` table: every user's order ledger as of the build, derived from the
built ``transaction_features`` and ``user_profile`` tables (so both engines give the same ledger).

One row per user; its event time is the latest of registration and the last order (the ledger
changes only then). ``build_feature_files`` writes it in its staging directory after the other
tables and publishes it with them. It is built in parts of users like them: both tables are
sorted by user, so a part reads only the row groups of its range of user ids, and memory is
bounded by a part, not by the data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from feature_repo.core import progress
from feature_repo.core.tables import TRANSACTION_FEATURES, USER_ORDER_LEDGER, USER_PROFILE
from feature_repo.pipeline.parts import ROW_GROUP_ROWS, USERS_PER_PART
from feature_repo.transforms.ledger_windows import ledger_columns, ledgers_of

ORDER_COLUMNS = {
    "transaction_id": "transaction_id",
    "user_id": "user_id",
    "event_timestamp": "transaction_date",
    "amount": "amount",
    "shipping_costs": "shipping_costs",
    "discount_coupon_used": "discount_coupon",
    "discount_coupon_amount": "discount_coupon_amount",
    "delivery_type": "delivery_type",
}
LIST_TYPES = {
    "transaction_ids": pa.list_(pa.int64()),
    "order_instants_us": pa.list_(pa.int64()),
    "amounts_cents": pa.list_(pa.int64()),
    "shipping_costs_cents": pa.list_(pa.int64()),
    "coupon_flags": pa.list_(pa.int64()),
    "coupon_amounts": pa.list_(pa.int64()),
    "delivery_types": pa.list_(pa.string()),
}


def ledger_frame(
    registrations: dict[int, pd.Timestamp], transactions: pd.DataFrame
) -> pd.DataFrame:
    """The ledger table's rows from registrations and typed transactions (no I/O)."""
    rows = []
    for user_id, ledger in ledgers_of(registrations, transactions).items():
        stamps = [s for s in (ledger.registered_at_us, ledger.last_order_at_us) if s is not None]
        rows.append(
            {
                "user_id": user_id,
                "event_timestamp": pd.Timestamp(max(stamps), unit="us", tz="UTC"),
                **ledger_columns(ledger),
            }
        )
    if not rows:
        return pd.DataFrame(columns=LEDGER_SCHEMA.names)
    return pd.DataFrame(rows).sort_values(list(USER_ORDER_LEDGER.order), ignore_index=True)


LEDGER_SCHEMA = pa.schema(
    [
        ("user_id", pa.int64()),
        ("event_timestamp", pa.timestamp("us", tz="UTC")),
        *LIST_TYPES.items(),
        ("lifetime_order_count", pa.int64()),
        ("last_order_at_us", pa.int64()),
        ("registered_at_us", pa.int64()),
    ]
)


def ledger_arrow(frame: pd.DataFrame) -> pa.Table:
    return pa.Table.from_pandas(frame, schema=LEDGER_SCHEMA, preserve_index=False)


def write_ledger_table(directory: Path, users_per_part: int = USERS_PER_PART) -> int:
    """Write ``user_order_ledger.parquet`` from the feature tables in ``directory`` (a build's
    staging directory), part by part of users; returns its rows."""
    user_ids = pq.read_table(directory / USER_PROFILE.file_name, columns=["user_id"])["user_id"]
    distinct = np.unique(user_ids.to_numpy())  # sorted: one id per user, a few MB at x100
    rows = 0
    starts = range(0, len(distinct), users_per_part)
    with (
        pq.ParquetWriter(directory / USER_ORDER_LEDGER.file_name, LEDGER_SCHEMA) as writer,
        progress.task("build-features: ledger", total=len(starts), unit="parts") as task,
    ):
        for start in starts:
            ids = distinct[start : start + users_per_part]
            table = ledger_arrow(_ledger_of_range(directory, int(ids[0]), int(ids[-1])))
            writer.write_table(table, row_group_size=ROW_GROUP_ROWS)
            rows += table.num_rows
            task.advance(rows=table.num_rows)
    return rows


def _ledger_of_range(directory: Path, first: int, last: int) -> pd.DataFrame:
    """The ledger rows of the users with ids in ``[first, last]``."""
    in_range = [("user_id", ">=", first), ("user_id", "<=", last)]
    profile = pq.read_table(
        directory / USER_PROFILE.file_name, columns=["user_id", "registered_at"], filters=in_range
    ).to_pandas()
    registrations = profile.groupby("user_id")["registered_at"].min().to_dict()
    transactions = (
        pq.read_table(
            directory / TRANSACTION_FEATURES.file_name,
            columns=list(ORDER_COLUMNS),
            filters=in_range,
        )
        .to_pandas()
        .rename(columns=ORDER_COLUMNS)
    )
    return ledger_frame(registrations, transactions)
