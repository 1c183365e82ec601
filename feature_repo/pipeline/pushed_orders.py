"""The pushed-orders dataset, as the batch pipeline sees it: ``<raw>/pushed_transactions/batch-*.parquet``
(written by ``feature_repo.push``, in the raw transactions' columns and types), merged with the raw
transactions into one input for ``build-features``.

The merged file lists the raw transactions, then each pushed order whose ``transaction_id`` is new
(the raw file's wins, then the first pushed, in push order), so an order pushed twice or pushed and
also in the raw data counts once. It is rewritten only when the raw file or the pushed batches
change (a sidecar records their fingerprint), so ``build-features`` still skips unchanged inputs and
rebuilds when a batch is pushed. The checks of ``raw_data`` then run on it as on the raw file.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from feature_repo.core.atomic_files import read_json, write_files_atomically, write_json
from feature_repo.pipeline.fingerprints import file_fingerprint

PUSHED_DIR = "pushed_transactions"
MERGED_NAME = "transactions_with_pushed.parquet"
SCHEMA = pa.schema(
    [
        ("transaction_id", pa.int64()),
        ("user_id", pa.int64()),
        ("amount", pa.float64()),
        ("shipping_costs", pa.float64()),
        ("discount_coupon", pa.int64()),
        ("discount_coupon_amount", pa.int64()),
        ("payment_method", pa.string()),
        ("transaction_date", pa.timestamp("us")),  # naive UTC, as in the raw Parquet file
        ("delivery_type", pa.string()),
    ]
)


def pushed_dir(raw: Path) -> Path:
    return raw / PUSHED_DIR


def pushed_files(raw: Path) -> list[Path]:
    """The pushed batches, oldest first (their names start with the push instant)."""
    return sorted(pushed_dir(raw).glob("batch-*.parquet"))


def with_pushed(transactions: Path, raw: Path) -> Path:
    """``transactions`` itself without pushed batches; else the merged file (rewritten if stale)."""
    batches = pushed_files(raw)
    if not batches:
        return transactions
    merged = pushed_dir(raw) / MERGED_NAME
    sidecar = merged.with_suffix(".json")
    inputs = {str(p): file_fingerprint(p) for p in [transactions, *batches]}
    if merged.exists() and (read_json(sidecar) or {}).get("inputs") == inputs:
        return merged
    write_files_atomically(
        {
            merged: lambda path: _merge(transactions, batches, path),
            sidecar: lambda path: write_json(path, {"inputs": inputs}),
        }
    )
    return merged


def _merge(transactions: Path, batches: list[Path], target: Path) -> None:
    columns = ", ".join(SCHEMA.names)
    if transactions.suffix == ".csv":  # the checks type the text; pushed values become text too
        raw = "read_csv(?, all_varchar = true, header = true)"
        pushed = ", ".join(
            f"strftime(transaction_date, '%Y-%m-%d %H:%M:%S.%f') AS {name}"
            if name == "transaction_date"
            else f"CAST({name} AS VARCHAR) AS {name}"
            for name in SCHEMA.names
        )
    else:
        raw, pushed = "read_parquet(?)", columns
    connection = duckdb.connect()
    try:
        connection.execute("SET preserve_insertion_order = true")
        connection.execute(
            f"""COPY (
                WITH raw AS (SELECT {columns} FROM {raw}),
                pushed AS (
                    SELECT {pushed}, filename, file_row_number
                    FROM read_parquet(?, filename = true, file_row_number = true)
                ),
                first_pushed AS (
                    SELECT {columns} FROM pushed
                    WHERE transaction_id NOT IN (SELECT transaction_id FROM raw)
                    QUALIFY row_number() OVER (
                        PARTITION BY transaction_id ORDER BY filename, file_row_number) = 1
                    ORDER BY filename, file_row_number
                )
                SELECT * FROM raw UNION ALL SELECT * FROM first_pushed
            ) TO '{target}' (FORMAT parquet)""",
            [str(transactions), [str(b) for b in batches]],
        )
    finally:
        connection.close()
