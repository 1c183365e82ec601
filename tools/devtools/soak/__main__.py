"""``python -m devtools.soak [--minutes M]`` (``make soak``; ``SOAK_MINUTES`` sets the default): the
soak, ``bench/soak.json``, and exit 1 naming each check that failed."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from rich.console import Console

from devtools.soak import report
from devtools.soak.run import soak
from feature_repo.core.paths import REPO_ROOT


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.soak", description=__doc__)
    parser.add_argument(
        "--minutes", type=float, default=float(os.environ.get("SOAK_MINUTES") or 10)
    )
    parser.add_argument(
        "--scale", type=float, default=0.1, help="Data size (generate-data --scale)."
    )
    parser.add_argument("--orders-per-second", type=int, default=10)
    parser.add_argument("--work-dir", type=Path, default=REPO_ROOT / "data" / "soak")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench" / "soak.json")
    options = parser.parse_args(argv)
    console = Console()
    result = soak(
        options.work_dir, options.minutes, options.scale, options.orders_per_second, console
    )
    figures = report.summary(result)
    report.write(figures, options.out)
    for name, passed in figures["checks"].items():
        console.print(f"  {'[green]pass[/]' if passed else '[red]FAIL[/]'}  {name}")
    console.print(
        f"requests {figures['requests']:,}, errors {figures['errors_by_kind']}, orders {figures['orders_by_status']}, "
        f"lost {figures['lost']}, doubled {figures['doubled']}, half-applied {figures['half_applied']}; "
        f"recovery {[(r['fault'], r['recovery_seconds']) for r in figures['recovery']]} -> {options.out}"
    )  # fmt: skip
    failed = report.failed_checks(figures)
    if failed:
        console.print(f"[red]soak failed[/]: {'; '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
