"""Running the expectations: a readable report, and an error that blocks the step that asked."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd
import pandera.errors

from feature_repo.errors import FeatureStoreError
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


def check_tables(
    tables: Mapping[str, pd.DataFrame], as_of: pd.Timestamp | None = None
) -> QualityReport:
    """Check every known table (schema, ranges, nulls, categories, consistency, and freshness at ``as_of``)."""
    failures: list[Failure] = []
    for name, table in tables.items():
        failures += _schema_failures(name, table)
        if as_of is not None and name in MAX_STALENESS and len(table):
            failures += _freshness_failures(name, table, as_of)
    return QualityReport(failures, {name: len(table) for name, table in tables.items()})


def enforce(
    tables: Mapping[str, pd.DataFrame], step: str, as_of: pd.Timestamp | None = None
) -> QualityReport:
    """``check_tables``, raising :class:`QualityGateError` on any failure."""
    report = check_tables(tables, as_of)
    if not report.passed:
        raise QualityGateError(report, step)
    return report


def _schema_failures(name: str, table: pd.DataFrame) -> list[Failure]:
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
                examples = [f"row {i}" for i in rows[:EXAMPLES_SHOWN]] or [
                    str(v) for v in group["failure_case"].head(EXAMPLES_SHOWN)
                ]
                failing = len(rows) or len(group)
            failures.append(Failure(name, column, check, failing, examples))
        return failures
    return []


def _freshness_failures(name: str, table: pd.DataFrame, as_of: pd.Timestamp) -> list[Failure]:
    newest = table.loc[table["event_timestamp"] <= as_of, "event_timestamp"].max()
    limit = MAX_STALENESS[name]
    if pd.isna(newest) or newest < as_of - limit:
        check = f"freshness (newest event must be within {limit.days} days before {as_of:%Y-%m-%d %H:%M})"
        return [Failure(name, "event_timestamp", check, len(table), [f"newest is {newest}"])]
    return []
