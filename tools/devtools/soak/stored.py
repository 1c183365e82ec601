"""What the stores hold at the end of the soak, for the checks: how many times each pushed order is
in its user's online ledger, and in the offline pushed data as the batch build reads it."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pandas as pd


def online_ledger_counts(config: Path, users: list[int]) -> Counter:
    """Transaction id -> occurrences in the ``user_order_ledger`` rows of ``users`` (Redis)."""
    from feature_repo.push.online_writes import read_view_rows
    from feature_repo.push.service import LEDGER_VIEW
    from feature_repo.repository.store import open_store
    from feature_repo.transforms.ledger_windows import ledger_from_columns

    store = open_store(config_path=config)
    counts: Counter = Counter()
    for begin in range(0, len(users), 500):
        keys = [{"user_id": u} for u in users[begin : begin + 500]]
        for _, values in read_view_rows(store, LEDGER_VIEW, keys):
            if values is not None:
                counts.update(o.transaction_id for o in ledger_from_columns(values).orders)
    return counts


def offline_counts(raw: Path) -> tuple[Counter, Counter]:
    """Transaction id -> occurrences in the merged input of ``build-features`` (raw transactions and
    pushed batches, an id counting once), and in the pushed batch files themselves (an order sent
    again after a failure is appended again: the merge keeps one)."""
    from feature_repo.pipeline.pushed_orders import MERGED_NAME, pushed_dir, pushed_files

    merged = pd.read_parquet(pushed_dir(raw) / MERGED_NAME, columns=["transaction_id"])
    batches = [pd.read_parquet(f, columns=["transaction_id"]) for f in pushed_files(raw)]
    copies = pd.concat(batches)["transaction_id"] if batches else pd.Series([], dtype="int64")
    return Counter(merged["transaction_id"].tolist()), Counter(copies.tolist())
