"""Figures, the table printed at the end of a run and ``bench/results.json``."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table


@dataclass
class Figure:
    """One measured figure next to its same-run baseline; ``met`` says whether its target holds."""

    name: str
    unit: str
    value: float
    baseline: float | None
    target: str
    met: bool
    ratio: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline:
            self.ratio = self.value / self.baseline
        self.value = _rounded(self.value)
        self.baseline = _rounded(self.baseline)
        self.ratio = _rounded(self.ratio)


def _rounded(number: float | None) -> float | None:
    if number is None:
        return None
    return round(number, 3) if abs(number) < 100 else round(number, 1)


def write_results(path: Path, machine: dict[str, Any], figures: list[Figure]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"machine": machine, "figures": [asdict(f) for f in figures]}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def print_table(console: Console, figures: list[Figure]) -> None:
    table = Table(title="delivery-fs-bench (baselines measured in the same run)")
    for column in ("figure", "unit", "value", "baseline", "ratio", "target", "met"):
        table.add_column(
            column, justify="right" if column in ("value", "baseline", "ratio") else "left"
        )
    for f in figures:
        table.add_row(
            f.name,
            f.unit,
            f"{f.value:,}",
            "" if f.baseline is None else f"{f.baseline:,}",
            "" if f.ratio is None else f"{f.ratio:,}",
            f.target,
            "[green]yes[/]" if f.met else "[red]no[/]",
        )
    console.print(table)
