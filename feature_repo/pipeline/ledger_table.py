"""The ``user_order_ledger`` table: every user's order ledger as of the build, derived from the
built ``transaction_features`` and ``user_profile`` tables (so both engines give the same ledger).

One row per user; its event time is the latest of registration and the last order (the ledger
changes only then). Written atomically beside the feature tables, after them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from feature_repo.atomic_files import write_files_atomically
from feature_repo.tables import TRANSACTION_FEATURES, USER_ORDER_LEDGER, USER_PROFILE
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
    return pd.DataFrame(rows).sort_values(list(USER_ORDER_LEDGER.order), ignore_index=True)


def ledger_arrow(frame: pd.DataFrame) -> pa.Table:
    schema = pa.schema(
        [
            ("user_id", pa.int64()),
            ("event_timestamp", pa.timestamp("us", tz="UTC")),
            *LIST_TYPES.items(),
            ("lifetime_order_count", pa.int64()),
            ("last_order_at_us", pa.int64()),
            ("registered_at_us", pa.int64()),
        ]
    )
    return pa.Table.from_pandas(frame, schema=schema, preserve_index=False)


def write_ledger_table(directory: Path) -> int:
    """Write ``user_order_ledger.parquet`` from the feature tables in ``directory``; returns its rows."""
    profile = pd.read_parquet(
        directory / USER_PROFILE.file_name, columns=["user_id", "registered_at"]
    )
    registrations = profile.groupby("user_id")["registered_at"].min().to_dict()
    transactions = pd.read_parquet(
        directory / TRANSACTION_FEATURES.file_name, columns=list(ORDER_COLUMNS)
    ).rename(columns=ORDER_COLUMNS)
    table = ledger_arrow(ledger_frame(registrations, transactions))
    write_files_atomically(
        {directory / USER_ORDER_LEDGER.file_name: lambda path: pq.write_table(table, path)}
    )
    return table.num_rows
