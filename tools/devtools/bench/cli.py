"""`delivery-fs-bench`: the benchmark's figures against same-run baselines (see docs/benchmarks.md)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from devtools.bench.build_figures import SMOKE_SCALES
from devtools.bench.runner import BenchError
from devtools.bench.suite import SECTIONS, run_bench
from feature_repo.core.paths import REPO_ROOT

FULL_RESULTS, SMOKE_RESULTS = Path("bench/results.json"), Path("bench/smoke.json")


def main(argv: list[str] | None = None) -> None:
    arguments = argparse.ArgumentParser(
        prog="delivery-fs-bench",
        description="Measure the performance figures against same-run baselines (starts Redis, moto "
        "and the SageMaker emulator on 127.0.0.1); print a table and write the results.",
    )
    arguments.add_argument(
        "--scale-max",
        type=int,
        choices=(10, 100),
        default=10,
        help="Largest data size for build-features: 10, or 100 (slow).",
    )
    arguments.add_argument(
        "--results",
        type=Path,
        default=FULL_RESULTS,
        help="Where the figures are written (JSON).",
    )
    arguments.add_argument(
        "--work-dir",
        type=Path,
        default=None,
        help="Where data and stores of the run live (default: data/bench).",
    )
    arguments.add_argument(
        "--only",
        type=_sections,
        default=None,
        metavar="SECTION[,SECTION]",
        help=f"Run only these sections ({', '.join(SECTIONS)}) and merge their figures into the "
        "existing results (same-named figures replaced, the others kept).",
    )
    arguments.add_argument(
        "--smoke",
        action="store_true",
        help="Every section at a tiny size (x0.02 and x0.05, few calls, seconds of load): proves "
        "that a whole run works; its figures mean nothing (default results: bench/smoke.json).",
    )
    options = arguments.parse_args(argv)
    console = Console(width=None if sys.stdout.isatty() else 160)
    scales = [1.0, 10.0] + ([100.0] if options.scale_max == 100 else [])
    results = options.results
    if options.smoke:
        scales = SMOKE_SCALES
        results = SMOKE_RESULTS if results == FULL_RESULTS else results
    try:
        figures = run_bench(
            scales,
            REPO_ROOT / results,
            options.work_dir or REPO_ROOT / "data" / ("bench-smoke" if options.smoke else "bench"),
            console,
            options.only,
            smoke=options.smoke,
        )
    except (BenchError, RuntimeError) as error:  # a failed step or a missing program: say which
        console.print(f"[red]error:[/] {escape(str(error))}", highlight=False)
        sys.exit(1)
    missed = [figure.name for figure in figures if not figure.met]
    if missed:
        console.print(f"targets not met: {', '.join(missed)}")


def _sections(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in SECTIONS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown section {', '.join(unknown) or '(none)'}: choose from {', '.join(SECTIONS)}"
        )
    return names


if __name__ == "__main__":
    main()
