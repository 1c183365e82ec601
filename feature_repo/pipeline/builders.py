"""The builder of each declared feature table: typed users and transactions of a part -> its rows."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from feature_repo.core.tables import (
    FEATURE_TABLES,
    TRANSACTION_FEATURES,
    USER_ORDER_STATS,
    USER_PROFILE,
)
from feature_repo.transforms.order_stats import user_order_stats_table
from feature_repo.transforms.transaction_features import transaction_features_table
from feature_repo.transforms.user_profile import user_profile_table

# (users, transactions, horizon) -> rows; the horizon is that of the whole data, not of a part
Builder = Callable[[pd.DataFrame, pd.DataFrame, pd.Timestamp], pd.DataFrame]

BUILDERS: dict[str, Builder] = {
    USER_PROFILE.name: lambda users, _, horizon: user_profile_table(users, horizon),
    USER_ORDER_STATS.name: lambda users, transactions, _: user_order_stats_table(
        users, transactions
    ),
    TRANSACTION_FEATURES.name: lambda users, transactions, _: transaction_features_table(
        users, transactions
    ),
}
if set(BUILDERS) != {table.name for table in FEATURE_TABLES}:
    raise RuntimeError("every declared feature table needs exactly one builder")


def build_tables(
    users: pd.DataFrame, transactions: pd.DataFrame, horizon: pd.Timestamp
) -> dict[str, pd.DataFrame]:
    """Every feature table, by name, from typed and checked raw frames (no I/O)."""
    return {
        table.name: BUILDERS[table.name](users, transactions, horizon) for table in FEATURE_TABLES
    }
