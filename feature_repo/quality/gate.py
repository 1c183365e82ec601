"""Running the expectations: a readable report, and an error that blocks the step that asked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.errors
import pyarrow.parquet as pq

from feature_repo.core.errors import FeatureStoreError
from feature_repo.core.tables import FEATURE_TABLES
from feature_repo.quality.expectations import MAX_FAILURE_CASES, MAX_STALENESS, SCHEMAS

EXAMPLES_SHOWN = 3


@dataclass(frozen=True)
class Failure:
    """One expectation that failed: where, which check, how many rows and a few examples."""

    table: str
    column: str
    check: str
    failing_rows: int
    examples: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        where = f"{self.table}.{self.column}" if self.column else self.table
        shown = f" (e.g. {', '.join(self.examples)})" if self.examples else ""
        capped = self.failing_rows >= MAX_FAILURE_CASES  # pandera stops collecting there
        rows = f"at least {MAX_FAILURE_CASES:,}" if capped else f"{self.failing_rows:,}"
        return f"{where}: {self.check} failed for {rows} row(s){shown}"


@dataclass(frozen=True)
class QualityReport:
    failures: list[Failure]
    rows_checked: dict[str, int]

    @property
    def passed(self) -> bool:
        return not self.failures

    def render(self) -> str:
        checked = ", ".join(f"{name} ({rows:,} rows)" for name, rows in self.rows_checked.items())
        if self.passed:
            return f"data quality: all expectations met for {checked}"
        lines = [f"data quality: {len(self.failures)} expectation(s) failed in {checked}:"]
        lines += [f"  - {failure}" for failure in self.failures]
        return "\n".join(lines)


class QualityGateError(FeatureStoreError):
    """Raised when a table fails an expectation; the step that asked does not run."""

    def __init__(self, report: QualityReport, step: str) -> None:
        self.report = report
        super().__init__(f"{report.render()}\n{step} was not run; the previous data is untouched.")


class QualityTally:
    """The expectations checked part by part (parts are ranges of users), summarised at the end.

    Schema, range and per-user checks run on each part; failures of the same check add up, and
    example rows are numbered across parts. Freshness looks at the newest event over all parts.
    """

    def __init__(self, as_of: pd.Timestamp | None = None) -> None:
        self.as_of = as_of
        self.failures: dict[tuple[str, str, str], Failure] = {}
        self.rows: dict[str, int] = {}
        self.newest: dict[str, pd.Timestamp] = {}

    def add(self, tables: Mapping[str, pd.DataFrame]) -> None:
        for name, table in tables.items():
            offset = self.rows.get(name, 0)
            for failure in _schema_failures(name, table, offset):
                self._count(failure)
            self.rows[name] = offset + len(table)
            if self.as_of is not None and name in MAX_STALENESS and len(table):
                times = table["event_timestamp"]
                newest = times[times <= self.as_of].max()
                if pd.notna(newest) and (name not in self.newest or newest > self.newest[name]):
                    self.newest[name] = newest

    def _count(self, failure: Failure) -> None:
        key = (failure.table, failure.column, failure.check)
        if (earlier := self.failures.get(key)) is None:
            self.failures[key] = failure
            return
        examples = (earlier.examples + failure.examples)[:EXAMPLES_SHOWN]
        self.failures[key] = Failure(
            failure.table,
            failure.column,
            failure.check,
            earlier.failing_rows + failure.failing_rows,
            examples,
        )

    def report(self) -> QualityReport:
        failures = list(self.failures.values())
        if self.as_of is not None:
            for name, rows in self.rows.items():
                if name in MAX_STALENESS and rows:
                    failures += _freshness_failures(
                        name, self.newest.get(name, pd.NaT), rows, self.as_of
                    )
        return QualityReport(failures, dict(self.rows))


def check_tables(
    tables: Mapping[str, pd.DataFrame], as_of: pd.Timestamp | None = None
) -> QualityReport:
    """Check every known table (schema, ranges, nulls, categories, consistency, and freshness at ``as_of``)."""
    tally = QualityTally(as_of)
    tally.add(tables)
    return tally.report()


def enforce(
    tables: Mapping[str, pd.DataFrame], step: str, as_of: pd.Timestamp | None = None
) -> QualityReport:
    """``check_tables``, raising :class:`QualityGateError` on any failure."""
    return enforce_report(check_tables(tables, as_of), step)


def enforce_report(report: QualityReport, step: str) -> QualityReport:
    """The report, or :class:`QualityGateError` if it has a failure."""
    if not report.passed:
        raise QualityGateError(report, step)
    return report


def _schema_failures(name: str, table: pd.DataFrame, offset: int = 0) -> list[Failure]:
    try:
        SCHEMAS[name].validate(table, lazy=True)
    except pandera.errors.SchemaErrors as errors:
        cases = errors.failure_cases.copy()
        row_level = cases["schema_context"].eq("DataFrameSchema") & cases["index"].notna()
        cases["where"] = cases["column"].where(~row_level, "").fillna("").astype(str)
        failures = []
        for (column, check), group in cases.groupby(
            ["where", cases["check"].astype(str)], sort=False
        ):
            if column:
                examples = [str(v) for v in group["failure_case"].head(EXAMPLES_SHOWN)]
                failing = len(group)
            else:  # a check across columns: report the rows
                rows = group["index"].dropna().astype(int).unique()
                examples = [f"row {i + offset}" for i in rows[:EXAMPLES_SHOWN]] or [
                    str(v) for v in group["failure_case"].head(EXAMPLES_SHOWN)
                ]
                failing = len(rows) or len(group)
            failures.append(Failure(name, column, check, failing, examples))
        return failures
    return []


def _freshness_failures(
    name: str, newest: pd.Timestamp, rows: int, as_of: pd.Timestamp
) -> list[Failure]:
    limit = MAX_STALENESS[name]
    if pd.isna(newest) or newest < as_of - limit:
        check = f"freshness (newest event must be within {limit.days} days before {as_of:%Y-%m-%d %H:%M})"
        return [Failure(name, "event_timestamp", check, rows, [f"newest is {newest}"])]
    return []


def check_feature_files(directory: Path, as_of: pd.Timestamp | None = None) -> QualityReport:
    """``check_tables`` on the table files in ``directory``, a row group (a part of users) at a time,
    so that memory is bounded by a part however large the tables are."""
    tally = QualityTally(as_of)
    for table in FEATURE_TABLES:
        path = directory / table.file_name
        if path.exists():
            parquet = pq.ParquetFile(path)
            for group in range(parquet.num_row_groups):
                tally.add({table.name: parquet.read_row_group(group).to_pandas()})
    return tally.report()
