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

from feature_repo.core.paths import REPO_ROOT

RESULTS = REPO_ROOT / "bench" / "results.json"
DOCUMENT = REPO_ROOT / "docs" / "capacity.md"
TOLERANCE = 0.25  # x100 predicted from x1 and x10, against measured
TARGETS = (1_000.0, 10_000.0)
REDIS_NODE_GB = 25.0  # usable memory per Redis (Cluster) node: a 32 GB machine, some headroom
DYNAMODB_KB = 1024  # one write unit per KB of item
BACKENDS = ("redis", "sqlite")


class CapacityModelError(RuntimeError):
    """The results lack a figure the model needs; the message says which run measures it."""


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
KNOWN_MISSES = {
    "build_seconds": "x100 measured under a load average of 3 to 4 (x1 and x10 under 0.2 to 2); "
    "a quieter x100 build took 518 s earlier, 10% above the prediction",
    "materialize_peak_mb_redis": "grows with the data by about 350 bytes per user between x10 and "
    "x100, more than x1 and x10 show; SQLite grows alike, so the cause is in the shared pull of "
    "the latest rows (DuckDB's query holds the window's rows), not the writers (not yet profiled)",
    "online_1_p50_ms_sqlite": "x100 read a cold page cache: the 10.9 GB file, then the 7 GB "
    "raw-write baseline and Redis, outgrew the machine's cache before the lookups; warm, the same "
    "lookups took 0.113 ms (the section now looks up before the raw write, on a warmed file)",
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


def users_at(scale: float, results: Path = RESULTS) -> float:
    """Users of a size: the tutorial's users per x1 (the online-scale figures count them)."""
    figures = json.loads(results.read_text())["figures"]
    by_scale = next(f for f in figures if f["name"].endswith(" redis: materialize"))["details"][
        "by_scale"
    ]
    size, values = next(iter(by_scale.items()))
    return values["users"] / float(size) * scale


def dynamodb_items(results: Path = RESULTS) -> dict[str, dict[str, float]]:
    """Per view: the bytes of one DynamoDB item in Feast's layout (``entity_id`` the 32-hex hash,
    ``event_ts`` an ISO string, ``values`` a map of feature name to serialized value), from the
    largest measured SQLite store's stored names and values per entity, and its write units."""
    figures = json.loads(results.read_text())["figures"]
    sqlite = next(f for f in figures if f["name"].endswith(" sqlite: file size per user"))
    views = sqlite["details"]["layout"].get("views")
    if not views:
        raise CapacityModelError(
            "the SQLite layout per view is missing from the online-scale figures: rerun "
            '`make bench BENCH_ARGS="--scale-max 100 --only online-scale"`.'
        )
    items = {}
    for table, view in views.items():
        # attribute names and values; a map costs 3 bytes plus 1 per element (DynamoDB's sizing)
        size = (len("entity_id") + 32 + len("event_ts") + 32 + len("values") + 3
                + view["features"] + view["name_bytes_per_entity"] + view["value_bytes_per_entity"])  # fmt: skip
        items[table.split("_", 2)[-1]] = {
            "bytes": size,
            "write_units": math.ceil(size / DYNAMODB_KB),
        }
    return items


def _figure(results: Path, ending: str) -> dict:
    figures = json.loads(results.read_text())["figures"]
    found = [f for f in figures if f["name"].endswith(ending) or f["name"].startswith(ending)]
    if not found:
        raise CapacityModelError(f"{results} has no figure '{ending}': run a whole `make bench`.")
    return found[0]


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
    lines += ["", "Known misses, and why:", ""]
    lines += [f"- **{_label(key)}**: {why}." for key, why in KNOWN_MISSES.items()]
    lines += ["", "## x1,000 (12M users) and x10,000 (124M users), fitted on x10 and x100", "",
              "| quantity | x100 measured | x1,000 | x10,000 |", "|---|---|---|---|"]  # fmt: skip
    for q in QUANTITIES:
        lines.append(
            f"| {q.label} ({q.unit}) | {_n(measured[q.key][100.0])} | "
            + " | ".join(_n(fit[q.key](t)) for t in TARGETS)
            + " |"
        )
    lines += ["", *_planning(results, fit), ""]
    return "\n".join(lines)


def _planning(results: Path, fit: dict[str, Callable[[float], float]]) -> list[str]:
    """What the fitted quantities mean for machines, nodes and write units."""
    spark = _figure(results, "build-features --engine spark x10")
    spark_ratio = spark["value"] / spark["baseline"]  # local[2] against DuckDB, same data and cores
    wrk = _figure(results, "HTTP lean, 50 clients")
    per_core = wrk["value"] / json.loads(results.read_text())["machine"]["cores"]
    items = dynamodb_items(results)
    lines = ["## What it means", "",
             "| at | users | Redis memory | Redis Cluster nodes | SQLite file | DynamoDB storage | "
             "DynamoDB write units, full load | build, DuckDB (one machine) | build, Spark 16 / 64 "
             "executors | materialize into Redis, one node / 8 nodes |",
             "|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for scale in (100.0, *TARGETS):
        users = users_at(scale, results)
        redis_gb = users * fit["bytes_per_user_redis"](scale) / 1e9
        build = fit["build_seconds"](scale)
        spark_at = [build * spark_ratio * 2 / n for n in (16, 64)]
        materialize = fit["materialize_seconds_redis"](scale)
        lines.append(
            f"| x{scale:,.0f} | {users / 1e6:,.2f}M | {redis_gb:,.1f} GB | "
            f"{max(1, math.ceil(redis_gb / REDIS_NODE_GB))} | "
            f"{users * fit['bytes_per_user_sqlite'](scale) / 1e9:,.1f} GB | "
            f"{users * sum(i['bytes'] + 100 for i in items.values()) / 1e9:,.1f} GB | "
            f"{users * sum(i['write_units'] for i in items.values()) / 1e6:,.1f}M | "
            f"{_duration(build)}, {fit['build_peak_mb'](scale) / 1024:.1f} GB | "
            f"{_duration(spark_at[0])} / {_duration(spark_at[1])} | "
            f"{_duration(materialize)} / {_duration(materialize / 8)} |"
        )
    item_list = ", ".join(
        f"`{v}` {i['bytes']:.0f} B ({i['write_units']} WCU)" for v, i in items.items()
    )
    return lines + [
        "",
        f"- **DynamoDB items** (one per user and view, Feast's layout): {item_list}; storage adds",
        "  DynamoDB's 100 bytes per item. A full load writes every item once; an incremental",
        "  materialization writes only the users whose rows changed.",
        f"- **Redis Cluster nodes**: {REDIS_NODE_GB:g} GB usable per node (a 32 GB machine); the",
        "  per-user memory is Redis' own `used_memory`, measured with the default listpack limits",
        "  (the online-scale figure shows what raising `hash-max-listpack-value` saves).",
        f"- **Spark**: DuckDB's fitted time x {spark_ratio:.1f} (Spark `local[2]` against DuckDB on the",
        "  same x10 data and cores), divided by executors / 2. An assumption, not a measurement: the",
        "  Spark build was measured on one machine only; its parts are independent, so it should",
        "  scale with executors until the shuffle of the orders by user dominates.",
        f"- **Serving**: {per_core:,.0f} lookups/s per core (the lean HTTP route under 50 `wrk` clients,",
        "  divided by the cores it shared with `wrk`: a lower bound). Lookup latency does not grow with",
        "  the data (the constant rows above): add workers and cores for load, not for size.",
        "- **Materialization per node**: one process writes; nodes split the users (or the views) and",
        "  write in parallel, so the time divides by the nodes while the store keeps up.",
    ]


def _label(key: str) -> str:
    return next(q.label for q in QUANTITIES if q.key == key)


def _n(value: float) -> str:
    if math.isnan(value):
        return "n/a"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3g}"


def _duration(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


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
