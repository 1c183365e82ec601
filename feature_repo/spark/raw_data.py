"""Reading and checking the raw users and transactions in Spark, with the default reader's errors.

The checks are those of ``pipeline.raw_data``, in the same order; each is a per-row flag, all are
counted in one pass, and the error is that of the first check that fails: its count over the
file and its first offending rows (the only rows brought to the driver), located by their
position in the file (``zipWithIndex`` keeps a file's order), as the default reader words them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from feature_repo.core import raw_format as tf
from feature_repo.pipeline.errors import MAX_ROWS_SHOWN, OffendingRow, RawDataError
from feature_repo.pipeline.raw_columns import (
    AWARE_SUFFIX,
    MIXED_TIMEZONES_HINT,
    check_columns,
    check_file,
    locations,
    mixed_timezones_problem,
    no_rows,
)

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

ROW = "_row"  # position in the file, from 0
DUPLICATE_HINT = "Each id must appear once; remove the duplicates and rerun."


@dataclass(frozen=True)
class Check:
    """One rule over rows: where it looks, what it reports and which rows break it."""

    column: str
    problem: str
    bad: Column
    shown: Column
    hint: str | None = None


def _read(spark: SparkSession, path: Path, expected: dict[str, str]) -> DataFrame:
    """The file with every column as text and its rows' positions (a file is read in order: its
    splits are numbered in file order, so a row's position is its offset in its split plus the
    rows of the splits before)."""
    from pyspark.sql import functions as F

    check_file(path)
    reader = spark.read.option("header", True)
    frame = reader.csv(str(path)) if path.suffix == ".csv" else spark.read.parquet(str(path))
    check_columns(path, frame.columns, expected)
    split, offset = F.spark_partition_id(), F.monotonically_increasing_id()
    texts = frame.select(
        *[F.col(c).cast("string").alias(c) for c in expected],
        split.alias("_split"),
        (offset - F.shiftleft(split.cast("long"), 33)).alias("_offset"),
    ).cache()
    sizes = dict(texts.groupBy("_split").count().collect())
    before, start = {}, 0
    for number in sorted(sizes):
        before[number], start = start, start + sizes[number]
    starts = F.create_map(*[F.lit(v) for pair in before.items() for v in pair]) if before else None
    position = F.col("_offset") + (starts[F.col("_split")] if starts is not None else F.lit(0))
    return texts.select(*expected, position.cast("long").alias(ROW))


def _converted(kind: str, text: Column) -> tuple[Column, Column, str]:
    """(typed value, bad flag, problem) for a column of ``kind`` read as text."""
    from pyspark.sql import functions as F

    trimmed = F.trim(text)
    if kind in ("int", "float"):
        number = trimmed.try_cast("double")
        bad = number.isNull() | F.isnan(number)
        if kind == "int":
            bad |= (number != F.round(number, 0)) | (F.abs(number) >= float(2**63))  # int64 only
            return number.try_cast("long"), bad, "expected whole numbers (64-bit)"
        infinite = F.abs(number) == float("inf")
        return number, bad | infinite, "expected numbers"
    if kind == "str":
        return text, text.isNull() | (trimmed == ""), "empty values"
    if kind == "date":
        day = F.try_to_date(trimmed, "yyyy-MM-dd")
        return day, day.isNull(), f"unparseable dates (expected {tf.DATE_FORMAT.replace('%', '')})"
    instant = F.try_to_timestamp(trimmed)
    return instant, instant.isNull(), "unparseable date-times (expected e.g. 2020-04-01 12:30:00)"


def _first_failure(path: Path, frame: DataFrame, checks: list[Check]) -> RawDataError | None:
    """The error of the first check that any row breaks, or ``None``."""
    from pyspark.sql import functions as F

    counts = frame.agg(
        *[
            F.sum(F.coalesce(c.bad, F.lit(False)).cast("long")).alias(f"c{i}")
            for i, c in enumerate(checks)
        ]
    ).first()
    for i, check in enumerate(checks):
        if counts[f"c{i}"]:
            rows = (
                frame.where(check.bad).orderBy(ROW).select(ROW, check.shown.alias("v"))
                .limit(MAX_ROWS_SHOWN).collect()
            )  # fmt: skip
            where = locations(path, pd.Index([row[ROW] for row in rows]))
            shown = [OffendingRow(w, row["v"]) for w, row in zip(where, rows, strict=True)]
            error = RawDataError(str(path), check.column, check.problem, shown, counts[f"c{i}"])
            if check.hint:
                error.hint = check.hint
            return error
    return None


def _typed(
    spark: SparkSession, path: Path, expected: dict[str, str], extra, prepare=lambda f: f
) -> DataFrame:
    """Typed rows, after the per-column checks, unique ids and the ``extra`` checks (a function of
    the frame with typed columns ``typed_<column>``, returning checks)."""
    from pyspark.sql import functions as F
    from pyspark.sql.window import Window

    raw = _read(spark, path, expected).cache()
    if raw.isEmpty():
        raise no_rows(path)
    checks, typed = [], []
    for column, kind in expected.items():
        if kind == "datetime" and (mixed := _mixed_timezones(raw, column)):
            checks.append(mixed)
        value, bad, problem = _converted(kind, F.col(column))
        checks.append(Check(column, problem, bad, F.col(column)))
        typed.append(value.alias(f"typed_{column}"))
    frame = raw.select("*", *typed).cache()
    key = next(iter(expected))  # the id
    duplicated = F.count(F.lit(1)).over(Window.partitionBy(f"typed_{key}")) > 1
    frame = prepare(frame.withColumn("_duplicated", duplicated))
    checks.append(
        Check(key, "duplicate ids", F.col("_duplicated"), F.col(f"typed_{key}"), DUPLICATE_HINT)
    )
    checks += extra(frame)
    if error := _first_failure(path, frame, checks):
        raise error
    return frame.select(ROW, *[F.col(f"typed_{c}").alias(c) for c in expected])


def _mixed_timezones(frame: DataFrame, column: str) -> Check | None:
    """Naive and aware timestamps in one file: the minority's rows are the offending ones."""
    from pyspark.sql import functions as F

    aware = F.trim(F.col(column)).rlike(AWARE_SUFFIX.pattern)
    counts = frame.agg(
        F.sum(aware.cast("long")).alias("aware"), F.sum((~aware).cast("long")).alias("naive")
    ).first()
    if not (counts["aware"] and counts["naive"]):
        return None
    minority = counts["aware"] <= counts["naive"]
    problem = mixed_timezones_problem(counts["aware" if minority else "naive"], minority)
    return Check(
        column, problem, aware if minority else ~aware, F.col(column), MIXED_TIMEZONES_HINT
    )


def _typed_column(name: str) -> Column:
    from pyspark.sql import functions as F

    return F.col(f"typed_{name}")


def read_users(spark: SparkSession, path: Path) -> DataFrame:
    """Typed, checked users, as ``pipeline.raw_data.read_users`` (registration as a UTC instant)."""
    from pyspark.sql import functions as F

    def extra(frame: DataFrame) -> list[Check]:
        born, registered = _typed_column("birth_date"), _typed_column("registration_date")
        problem = "birth date on or after the registration date"
        return [Check("birth_date", problem, born >= registered, F.date_format(born, "yyyy-MM-dd"))]

    users = _typed(spark, path, tf.USER_COLUMNS, extra)
    return users.withColumn("registration_date", F.to_timestamp("registration_date"))


def read_transactions(spark: SparkSession, path: Path, users: DataFrame) -> DataFrame:
    """Typed, checked transactions, as ``pipeline.raw_data.read_transactions``."""
    from pyspark.sql import functions as F

    known = users.select(F.col("user_id").alias("_known_user"), F.lit(True).alias("_known"))

    def extra(frame: DataFrame) -> list[Check]:
        above = f"values above {tf.MONEY_MAX} (money is in [0, {tf.MONEY_MAX}])"
        checks = []
        for c in tf.MONEY_COLUMNS:  # as pipeline.raw_data: negative, then too large, per column
            checks.append(Check(c, "negative values", _typed_column(c) < 0, _typed_column(c)))
            checks.append(Check(c, above, _typed_column(c) > tf.MONEY_MAX, _typed_column(c)))
        flag = _typed_column("discount_coupon")
        checks.append(Check("discount_coupon", "expected 0 or 1", ~flag.isin(0, 1), flag))
        unknown = F.col("_known").isNull()
        hint = "Add the users to the users file or remove their transactions, then rerun."
        problem = "transactions of users that are not in the users file"
        checks.append(Check("user_id", problem, unknown, _typed_column("user_id"), hint))
        return checks

    def with_known(frame: DataFrame) -> DataFrame:
        return frame.join(
            F.broadcast(known), frame["typed_user_id"] == known["_known_user"], "left"
        )

    return _typed(spark, path, tf.TRANSACTION_COLUMNS, extra, with_known)
