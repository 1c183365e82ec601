"""Expectations on each feature table (pandera): schema, ranges, null rules, category sets, consistency.

Category sets come from the tutorial's format (``raw_format``); add a category
there when the business adds one.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from feature_repo.core import raw_format as tf
from feature_repo.core.tables import (
    FEATURE_TABLES,
    TRANSACTION_FEATURES,
    USER_ORDER_STATS,
    USER_PROFILE,
)
from feature_repo.transforms.window_rule import PER_WINDOW, WINDOW_DAYS

UTC_TIMESTAMP = pd.DatetimeTZDtype(unit="us", tz="UTC")
MAX_AGE_YEARS = 120
MAX_FAILURE_CASES = 1_000  # collecting every failing row of a broken table takes minutes


def _rule(check, name: str) -> pa.Check:
    """A check across columns, named for the report."""
    return pa.Check(check, name=name, n_failure_cases=MAX_FAILURE_CASES)


def _count(**kwargs) -> pa.Column:
    return pa.Column("int64", pa.Check.ge(0, n_failure_cases=MAX_FAILURE_CASES), **kwargs)


def _money(nullable: bool = False) -> pa.Column:
    return pa.Column(
        "float64", pa.Check.ge(0, n_failure_cases=MAX_FAILURE_CASES), nullable=nullable
    )


def _rate() -> pa.Column:
    return pa.Column(
        "float64", pa.Check.in_range(0, 1, n_failure_cases=MAX_FAILURE_CASES), nullable=True
    )


def _category(values) -> pa.Column:
    return pa.Column(str, pa.Check.isin(sorted(values), n_failure_cases=MAX_FAILURE_CASES))


def _non_empty_text(nullable: bool = False) -> pa.Column:
    return pa.Column(
        str, pa.Check.str_length(min_value=1, n_failure_cases=MAX_FAILURE_CASES), nullable=nullable
    )


USER_PROFILE_SCHEMA = pa.DataFrameSchema(
    {
        "user_id": pa.Column("int64"),
        "event_timestamp": pa.Column(UTC_TIMESTAMP),
        "age_years": pa.Column(
            "int64", pa.Check.in_range(0, MAX_AGE_YEARS, n_failure_cases=MAX_FAILURE_CASES)
        ),
        "gender": _category(tf.GENDER_COUNTS),
        "neighborhood": _non_empty_text(),
        "service_type": _category(tf.TYPE_SERVICE_COUNTS),
        "registration_channel": _category(tf.REGISTRATION_CHANNEL_COUNTS),
        "operating_system": _category(tf.SYSTEM_OPERATION_COUNTS),
        "registered_at": pa.Column(UTC_TIMESTAMP),
    },
    checks=[
        _rule(
            lambda t: t["registered_at"] <= t["event_timestamp"],
            "no profile row before registration",
        ),
        _rule(
            lambda t: ~t.duplicated(["user_id", "event_timestamp"]), "one row per user and instant"
        ),
    ],
    strict=True,
    name=USER_PROFILE.name,
)


def _window_columns(days: int) -> dict[str, pa.Column]:
    """The checks of each kind of windowed aggregate (``window_rule.PER_WINDOW``): a ratio of
    money (a mean) is money, missing without orders; a top type is missing without orders."""
    checks = {
        "count": _count,
        "sum": _count,
        "money": _money,
        "ratio": _rate,
        "top": lambda: _non_empty_text(nullable=True),
    }
    money = {a.name for a in PER_WINDOW if a.kind == "money"}
    columns = {}
    for aggregate in PER_WINDOW:
        if aggregate.kind == "ratio" and aggregate.numerator in money:
            columns[aggregate.column(days)] = _money(nullable=True)
        else:
            columns[aggregate.column(days)] = checks[aggregate.kind]()
    return columns


def _window_checks(days: int) -> list[pa.Check]:
    count, mean = f"order_count_{days}d", f"spend_mean_{days}d"
    return [
        _rule(
            lambda t, c=count, m=mean: t[m].isna() == t[c].eq(0),
            f"{mean} missing exactly when {count} is 0",
        ),
        _rule(
            lambda t, c=count, k=f"coupon_count_{days}d": t[k] <= t[c],
            f"coupon_count_{days}d <= {count}",
        ),
    ]


def _nested_windows(table: pd.DataFrame) -> pd.Series:
    counts = [table[f"order_count_{d}d"] for d in sorted(WINDOW_DAYS)] + [
        table["lifetime_order_count"]
    ]
    nested = pd.Series(True, index=table.index)
    for shorter, longer in zip(counts, counts[1:], strict=False):
        nested &= shorter <= longer
    return nested


USER_ORDER_STATS_SCHEMA = pa.DataFrameSchema(
    {
        "user_id": pa.Column("int64"),
        "event_timestamp": pa.Column(UTC_TIMESTAMP),
        **{name: column for days in WINDOW_DAYS for name, column in _window_columns(days).items()},
        "last_order_at": pa.Column(UTC_TIMESTAMP, nullable=True),
        "lifetime_order_count": _count(),
    },
    checks=[
        *[check for days in WINDOW_DAYS for check in _window_checks(days)],
        _rule(_nested_windows, "7d <= 30d <= 90d <= lifetime order counts"),
        _rule(
            lambda t: ~t.duplicated(["user_id", "event_timestamp"]), "one row per user and instant"
        ),
    ],
    strict=True,
    name=USER_ORDER_STATS.name,
)

TRANSACTION_FEATURES_SCHEMA = pa.DataFrameSchema(
    {
        "transaction_id": pa.Column("int64", unique=True),
        "user_id": pa.Column("int64"),
        "event_timestamp": pa.Column(UTC_TIMESTAMP),
        "amount": _money(),
        "shipping_costs": _money(),
        "discount_coupon_used": pa.Column(bool),
        "discount_coupon_amount": _count(),
        "net_amount": _money(),
        "discount_share": pa.Column(
            "float64", pa.Check.ge(0, n_failure_cases=MAX_FAILURE_CASES), nullable=True
        ),
        "payment_method": _non_empty_text(),
        "delivery_type": _non_empty_text(),
        "order_hour_utc": pa.Column(
            "int64", pa.Check.in_range(0, 23, n_failure_cases=MAX_FAILURE_CASES)
        ),
        "order_day_of_week": pa.Column(
            "int64", pa.Check.in_range(0, 6, n_failure_cases=MAX_FAILURE_CASES)
        ),
        "is_weekend": pa.Column(bool),
        "user_order_number": pa.Column("int64", pa.Check.ge(1, n_failure_cases=MAX_FAILURE_CASES)),
        "hours_since_previous_order": pa.Column(
            "float64", pa.Check.ge(0, n_failure_cases=MAX_FAILURE_CASES), nullable=True
        ),
        "days_since_registration": pa.Column("int64"),
    },
    checks=[
        _rule(
            lambda t: t["hours_since_previous_order"].isna() == t["user_order_number"].eq(1),
            "hours_since_previous_order missing exactly for first orders",
        ),
    ],
    strict=True,
    name=TRANSACTION_FEATURES.name,
)

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    schema.name: schema
    for schema in (USER_PROFILE_SCHEMA, USER_ORDER_STATS_SCHEMA, TRANSACTION_FEATURES_SCHEMA)
}
if set(SCHEMAS) != {table.name for table in FEATURE_TABLES}:
    raise RuntimeError("every declared feature table needs exactly one schema")

# Freshness: the newest event a table must hold, relative to the instant the data should cover.
MAX_STALENESS: dict[str, pd.Timedelta] = {
    table.name: pd.Timedelta(table.max_staleness)
    for table in FEATURE_TABLES
    if table.max_staleness is not None
}
