"""The feature tables in Spark SQL, row for row those of ``feature_repo.transforms`` (same rules,
same arithmetic in the same order, so the same floating-point results).

Inputs are the typed frames of ``spark.raw_data``; the session works in UTC.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from feature_repo.spark.order_stats import user_order_stats_frame
from feature_repo.transforms.order_stats import column_order
from feature_repo.transforms.transaction_features import WEEKEND_DAYS
from feature_repo.transforms.user_profile import PROFILE_LOOKAHEAD
from feature_repo.transforms.window_rule import (
    COUNTED,
    MONEY_DECIMALS,
    RATIOS,
    WINDOW_DAYS,
    integer_columns,
    money_columns,
)

if TYPE_CHECKING:
    import pandas as pd
    from pyspark.sql import Column, DataFrame


def _safe_ratio(top: Column, bottom: Column) -> Column:
    """``transforms.arithmetic.safe_ratio``: missing where the denominator is 0."""
    from pyspark.sql import functions as F

    return F.when(bottom != 0, top.cast("double") / bottom.cast("double"))


def _seconds(instant: Column) -> Column:
    """``transforms.arithmetic.epoch_seconds``: microseconds over 1e6, as a double."""
    from pyspark.sql import functions as F

    return F.unix_micros(instant).cast("double") / 1e6


def _age_in_years(birth: Column, moment: Column) -> Column:
    from pyspark.sql import functions as F

    before_birthday = (F.month(moment) < F.month(birth)) | (
        (F.month(moment) == F.month(birth)) & (F.dayofmonth(moment) < F.dayofmonth(birth))
    )
    return (F.year(moment) - F.year(birth) - before_birthday.cast("int")).cast("long")


def user_profile_frame(users: DataFrame, horizon: pd.Timestamp) -> DataFrame:
    """``transforms.user_profile.user_profile_table``: a row at registration and at every birthday
    up to a year past the horizon (29 February counts on 1 March outside leap years)."""
    from pyspark.sql import functions as F

    end = (horizon + PROFILE_LOOKAHEAD).tz_convert("UTC").tz_localize(None)
    registered = F.col("registration_date")
    birth = F.col("birth_date")
    years = users.withColumn("year", F.explode(F.sequence(F.year(registered), F.lit(end.year))))
    year = F.col("year")
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    shifted = (F.month(birth) == 2) & (F.dayofmonth(birth) == 29) & ~leap
    month = F.when(shifted, F.lit(3)).otherwise(F.month(birth))
    day = F.when(shifted, F.lit(1)).otherwise(F.dayofmonth(birth))
    birthday = F.to_timestamp(F.make_date(year, month, day))
    birthdays = years.withColumn("event_timestamp", birthday).where(
        (F.col("event_timestamp") > registered)
        & (F.col("event_timestamp") <= F.lit(end.isoformat(sep=" ")).cast("timestamp"))
    )
    changes = users.withColumn("event_timestamp", registered).unionByName(birthdays.drop("year"))
    return changes.select(
        "user_id",
        "event_timestamp",
        _age_in_years(birth, F.col("event_timestamp")).alias("age_years"),
        "gender",
        F.col("neighborhoods").alias("neighborhood"),
        F.col("type_service").alias("service_type"),
        "registration_channel",
        F.col("system_operation").alias("operating_system"),
        registered.alias("registered_at"),
    )


def transaction_features_frame(users: DataFrame, transactions: DataFrame) -> DataFrame:
    """``transforms.transaction_features.transaction_features_table``."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    placed = F.col("transaction_date")
    earlier = Window.partitionBy("user_id").orderBy("transaction_date", "transaction_id")
    registered = users.select("user_id", F.col("registration_date").alias("_registered"))
    seconds = _seconds(placed)
    previous = F.lag(seconds).over(earlier)
    weekday = F.weekday(placed)  # Monday is 0, as pandas' dayofweek
    return transactions.join(registered, "user_id").select(
        "transaction_id",
        "user_id",
        placed.alias("event_timestamp"),
        "amount",
        "shipping_costs",
        (F.col("discount_coupon") != 0).alias("discount_coupon_used"),
        F.col("discount_coupon_amount").cast("long"),
        F.round(F.greatest(F.col("amount") - F.col("discount_coupon_amount"), F.lit(0.0)), 2)
        .alias("net_amount"),
        _safe_ratio(F.col("discount_coupon_amount"), F.col("amount")).alias("discount_share"),
        "payment_method",
        "delivery_type",
        F.hour(placed).cast("long").alias("order_hour_utc"),
        weekday.cast("long").alias("order_day_of_week"),
        weekday.isin(*WEEKEND_DAYS).alias("is_weekend"),
        F.row_number().over(earlier).cast("long").alias("user_order_number"),
        ((seconds - previous) / 3600.0).alias("hours_since_previous_order"),
        F.floor((seconds - _seconds(F.col("_registered"))) / 86400.0)
        .cast("long")
        .alias("days_since_registration"),
    )  # fmt: skip


def user_order_stats_frame_finished(users: DataFrame, transactions: DataFrame) -> DataFrame:
    """``transforms.order_stats.user_order_stats_table`` (counts and sums from ``spark.order_stats``,
    finished as ``finish_order_stats``: sums rounded to cents, means and rates, the view's columns)."""
    from pyspark.sql import functions as F

    counts = user_order_stats_frame(users, transactions)
    columns = {
        money: F.round(F.col(money).cast("double"), MONEY_DECIMALS) for money in money_columns()
    }
    for days in WINDOW_DAYS:
        for ratio in RATIOS:
            numerator = f"{ratio.numerator}_{days}d"
            top = columns.get(numerator, F.col(numerator))  # money: the rounded sum
            columns[ratio.column(days)] = _safe_ratio(top, F.col(f"{COUNTED}_{days}d"))
    for name in [*integer_columns(), "lifetime_order_count"]:
        columns[name] = F.col(name).cast("long")
    return counts.select(*[columns.get(name, F.col(name)).alias(name) for name in column_order()])
