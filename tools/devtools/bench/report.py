"""Figures, the table printed at the end of a run and ``bench/results.json``."""

from __future__ import annotations

import json
import re
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
    section: str | None = None  # the run's section that measured it (``suite.SECTIONS``)
    measured_at: str | None = None  # UTC, ISO 8601
    load_average: dict[str, list[float]] | None = None  # 1/5/15 min at the section's start, end

    def __post_init__(self) -> None:
        if self.ratio is None and self.baseline:
            self.ratio = self.value / self.baseline
        self.value = _rounded(self.value)
        self.baseline = _rounded(self.baseline)
        self.ratio = _rounded(self.ratio)


def scales_named(name: str) -> list[float]:
    """The data sizes a figure's name mentions: ``x100`` and ``x1`` in "build-features x100 vs linear from x1"."""
    return [float(size) for size in re.findall(r"\bx(\d+(?:\.\d+)?)\b", name)]


def _rounded(number: float | None) -> float | None:
    if number is None:
        return None
    return round(number, 3) if abs(number) < 100 else round(number, 1)


def write_results(
    path: Path, machine: dict[str, Any], figures: list[Figure], largest_scale: float | None = None
) -> None:
    """The results of a whole run. With ``largest_scale``, the existing figures of larger sizes
    (those naming x100 after a run of x1 and x10) are kept: a whole run does not erase the x100
    figures measured apart (``--scale-max 100``)."""
    kept = []
    if largest_scale is not None:
        try:
            earlier = json.loads(path.read_text()).get("figures", [])
        except (OSError, ValueError):
            earlier = []
        fresh = {figure.name for figure in figures}
        kept = [old for old in earlier if old.get("name") not in fresh
                and any(s > largest_scale for s in scales_named(old.get("name", "")))]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"machine": machine, "figures": [asdict(f) for f in figures] + kept}
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def merge_results(path: Path, machine: dict[str, Any], figures: list[Figure]) -> None:
    """Write ``figures`` into the results at ``path``: a figure of the same name is replaced,
    the others are kept (in their order, new names at the end); the machine of this run is kept
    beside the earlier runs' under ``runs``."""
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        document = {}
    fresh = {figure.name: asdict(figure) for figure in figures}
    kept = [old for old in document.get("figures", []) if old.get("name") not in fresh]
    earlier = document.get("runs") or ([document["machine"]] if "machine" in document else [])
    sections = sorted({figure.section for figure in figures if figure.section})
    document = {
        "machine": machine,
        "runs": [*earlier, {**machine, "sections": sections}],
        "figures": kept + list(fresh.values()),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
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
