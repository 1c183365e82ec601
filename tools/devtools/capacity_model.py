"""A capacity model past one machine (x1,000 and x10,000), calibrated on measured figures.

It reads the figures of ``bench/results.json`` (the build section at x1, x10 and x100 and the
online-scale section, ``make bench BENCH_ARGS="--scale-max 100 --only build,online-scale"``; the
Spark and serving figures of a whole run), fits each quantity on two sizes with a stated form, and
predicts the others. ``tests/test_capacity_model.py`` fits on x1 and x10 and requires the measured
x100 within 25%; ``python -m devtools.capacity_model`` writes ``docs/capacity.md`` from the fit on
x10 and x100 (``--check``: fail when the page is not current).

Forms (why each):
- linear, ``a + b * scale``: work done once per user or order (build and materialization time;
  the parts of 10,000 users each cost the same);
- logarithmic, ``a + b * log10(scale)``: peak memory, bounded by a part and a write batch, plus
  buffers (DuckDB's, Arrow's) that grow slowly with the data;
- constant (the larger size's value; the smaller size is dominated by start-up and caches):
  per-user sizes and lookup latencies, which depend on a user's rows, not on how many users there are.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from devtools.capacity_planning import CapacityModelError, planning
from feature_repo.core.paths import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results.json"
DOCUMENT = REPO_ROOT / "docs" / "capacity.md"
TOLERANCE = 0.25  # x100 predicted from x1 and x10, against measured
TARGETS = (1_000.0, 10_000.0)
BACKENDS = ("redis", "sqlite")


@dataclass(frozen=True)
class Quantity:
    key: str
    label: str
    unit: str
    form: str  # linear, log or constant

    def fit(self, points: dict[float, float]) -> Callable[[float], float]:
        """The quantity at any size, from its values at two sizes."""
        (x1, y1), (x2, y2) = sorted(points.items())
        if self.form == "constant":
            return lambda scale: (
                y2
            )  # the larger size's: the smaller one is start-up and cache bound
        transform = math.log10 if self.form == "log" else float
        slope = (y2 - y1) / (transform(x2) - transform(x1))
        return lambda scale: y1 + slope * (transform(scale) - transform(x1))


# Where the fit on x1 and x10 misses the measured x100 by more than the tolerance, and why. The test
# requires each of these to still miss (fix the cause or the form, then take it off this list).
KNOWN_MISSES: dict[str, str] = {
    "materialize_seconds_redis": (
        "stop 34's run loaded x100 into Redis at 0.71x the x10 rate (118 s measured against 82 s "
        "predicted, -31%), stop 33's at 0.79x (-25.2%); stop 32's run of the same code loaded it "
        "at 1.05x (+1%). Every part of the step, Redis' own CPU included, is 1.23-1.26x slower "
        "per row at x100 (docs/benchmarks.md)"
    ),
}

QUANTITIES = (
    Quantity("build_seconds", "build-features on DuckDB, one machine", "s", "linear"),
    Quantity("build_peak_mb", "build-features peak memory", "MB", "log"),
    *(Quantity(f"materialize_seconds_{b}", f"materialize into {b}, one node", "s", "linear")
      for b in BACKENDS),
    *(Quantity(f"materialize_peak_mb_{b}", f"materialize into {b}, peak memory", "MB", "log")
      for b in BACKENDS),
    Quantity("bytes_per_user_redis", "Redis memory per user", "bytes", "constant"),
    Quantity("bytes_per_user_sqlite", "SQLite file per user", "bytes", "constant"),
    *(Quantity(f"online_{n}_p50_ms_{b}", f"lean lookup of {n} user{'s' * (n > 1)}, {b}, p50",
               "ms", "constant") for b in BACKENDS for n in (1, 100)),
)  # fmt: skip


def measurements(results: Path = RESULTS) -> dict[str, dict[float, float]]:
    """Each quantity's measured value at each size found in ``results``."""
    figures = {f["name"]: f for f in json.loads(results.read_text())["figures"]}
    measured: dict[str, dict[float, float]] = {q.key: {} for q in QUANTITIES}
    for name, figure in figures.items():
        if name.startswith("build-features x") and name.endswith(" vs linear from x1"):
            scale = float(name.split()[1][1:])
            measured["build_seconds"][scale] = figure["value"]
            measured["build_seconds"][1.0] = figure["baseline"] / scale
        if name.startswith("build-features x") and name.endswith(" peak memory"):
            scale = float(name.split()[1][1:])
            measured["build_peak_mb"][scale] = figure["value"]
            measured["build_peak_mb"][1.0] = figure["baseline"] / scale
    for backend in BACKENDS:
        scaled = [f for n, f in figures.items() if n.endswith(f" {backend}: materialize")]
        if not scaled:
            raise CapacityModelError(
                f"{results} has no online-scale figures for {backend}: run "
                '`make bench BENCH_ARGS="--scale-max 100 --only build,online-scale"`.'
            )
        for size, values in scaled[0]["details"]["by_scale"].items():
            scale = float(size)
            measured[f"materialize_seconds_{backend}"][scale] = (
                values["rows"] / values["rows_per_second"]
            )
            measured[f"materialize_peak_mb_{backend}"][scale] = values["peak_mb"]
            measured[f"bytes_per_user_{backend}"][scale] = values["bytes_per_user"]
            for n in (1, 100):
                measured[f"online_{n}_p50_ms_{backend}"][scale] = values[f"online_{n}_p50_ms"]
    return measured


def fitted(
    measured: dict[str, dict[float, float]], on: tuple[float, float]
) -> dict[str, Callable[[float], float]]:
    """Each quantity fitted on its values at the two sizes ``on``."""
    missing = [q.key for q in QUANTITIES if not set(on) <= set(measured[q.key])]
    if missing:
        raise CapacityModelError(
            f"no figures at x{on[0]:g} and x{on[1]:g} for {', '.join(missing)}: run "
            '`make bench BENCH_ARGS="--scale-max 100 --only build,online-scale"`.'
        )
    return {q.key: q.fit({s: measured[q.key][s] for s in on}) for q in QUANTITIES}


def render(results: Path = RESULTS) -> str:
    """docs/capacity.md: the check on x100, the fit on x10 and x100, and x1,000 and x10,000."""
    measured = measurements(results)
    check, fit = fitted(measured, (1.0, 10.0)), fitted(measured, (10.0, 100.0))
    lines = [
        "# Capacity past one machine",
        "",
        "Generated by `python -m devtools.capacity_model` from `bench/results.json` (do not edit by",
        "hand). Each quantity has a form (see `tools/devtools/capacity_model.py`): **linear** in the data for",
        "work done per user or order, **log** for peak memory (bounded by a part and a write batch, plus",
        "buffers that grow slowly), **constant** for per-user sizes and lookup latencies. Fitted on x1",
        "and x10, it predicts the measured x100 within "
        f"{TOLERANCE:.0%} (`tests/test_capacity_model.py`); the figures",
        "below are fitted on x10 and x100. One machine: 2 cores, as measured here.",
        "",
        "## The check: x100 predicted from x1 and x10",
        "",
        "| quantity | form | x1 | x10 | x100 predicted | x100 measured | error |",
        "|---|---|---|---|---|---|---|",
    ]
    for q in QUANTITIES:
        values, predicted = measured[q.key], check[q.key](100.0)
        error = predicted / values[100.0] - 1 if 100.0 in values else float("nan")
        miss = " (known miss)" if q.key in KNOWN_MISSES else ""
        lines.append(
            f"| {q.label} ({q.unit}) | {q.form} | {_n(values[1.0])} | {_n(values[10.0])} | "
            f"{_n(predicted)} | {_n(values.get(100.0, float('nan')))} | {error:+.0%}{miss} |"
        )
    if KNOWN_MISSES:
        lines += ["", "Known misses, and why:", ""]
        lines += [f"- **{_label(key)}**: {why}." for key, why in KNOWN_MISSES.items()]
    else:
        lines += ["", f"Known misses: none (every quantity within {TOLERANCE:.0%})."]
    lines += ["", "## x1,000 (12M users) and x10,000 (124M users), fitted on x10 and x100", "",
              "| quantity | x100 measured | x1,000 | x10,000 |", "|---|---|---|---|"]  # fmt: skip
    for q in QUANTITIES:
        lines.append(
            f"| {q.label} ({q.unit}) | {_n(measured[q.key][100.0])} | "
            + " | ".join(_n(fit[q.key](t)) for t in TARGETS)
            + " |"
        )
    lines += ["", *planning(results, fit, TARGETS), ""]
    return "\n".join(lines)


def _label(key: str) -> str:
    return next(q.label for q in QUANTITIES if q.key == key)


def _n(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.capacity_model", description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when docs/capacity.md is stale")
    options = parser.parse_args(argv)
    try:
        text = render()
    except CapacityModelError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if options.check:
        if DOCUMENT.read_text() != text:
            print(f"{DOCUMENT} is not current: run `python -m devtools.capacity_model`.")
            return 1
        return 0
    DOCUMENT.write_text(text)
    print(f"wrote {DOCUMENT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
