"""Errors of the pipeline: each names the file, the column, the first offending rows and what to do."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from feature_repo.core.errors import FeatureStoreError

MAX_ROWS_SHOWN = 5


@dataclass
class OffendingRow:
    """One bad row: its position as a person finds it in the file, and the value at fault."""

    location: str
    value: object


class PipelineError(FeatureStoreError):
    """Base class: a problem the user can fix; the message says how."""


@dataclass
class RawDataError(PipelineError):
    """Raw input that breaks the tutorial's format or a data rule."""

    file: str
    column: str | None
    problem: str
    rows: Sequence[OffendingRow] = field(default_factory=list)
    total_offending: int = 0
    hint: str = "Fix the file (or regenerate it with `delivery-fs generate-data`) and rerun."

    def __post_init__(self) -> None:
        super().__init__(str(self))

    def __str__(self) -> str:
        where = f"{self.file}, column '{self.column}'" if self.column else self.file
        message = f"{where}: {self.problem}."
        if self.rows:
            shown = ", ".join(f"{row.location} ({row.value!r})" for row in self.rows)
            more = self.total_offending - len(self.rows)
            message += f" First offending rows: {shown}"
            message += f" and {more} more." if more > 0 else "."
        return f"{message} {self.hint}"
