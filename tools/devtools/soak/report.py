"""The soak's report: the pass/fail of each check and ``bench/soak.json`` (requests, errors by kind,
orders by status, lost and doubled orders, recovery time per fault)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from devtools.soak.checks import RECOVERY_FACTOR, RECOVERY_WINDOW_SECONDS

EXAMPLES = 10


def summary(result: dict) -> dict:
    """The figures of ``bench/soak.json`` and, under ``checks``, each check's name and outcome."""
    found, slices = result["found"], result["slices"]
    errors = Counter()
    for piece in slices:
        errors.update(piece["error_kinds"])
    recovery = [{k: e[k] for k in ("fault", "at", "recovery_seconds")} for e in result["events"]]
    checks = {
        "no acknowledged order lost": found.lost == 0,
        "no order doubled": found.doubled == 0,
        "no unacknowledged order half-applied": not found.half_applied,
        "skew-check finds 0 differences": result["skew"]["passed"],
        f"read p99 back within {RECOVERY_FACTOR}x of quiet within {RECOVERY_WINDOW_SECONDS:g} s of each fault": all(
            r["recovery_seconds"] is not None and r["recovery_seconds"] <= RECOVERY_WINDOW_SECONDS
            for r in recovery
        ),
    }  # fmt: skip
    return {
        "seconds": result["seconds"],
        "requests": sum(s["requests"] for s in slices),
        "errors_by_kind": dict(errors),
        "quiet_read_p99_ms": result["quiet_p99_ms"],
        "answers_by_kind": dict(result["answers"]),
        "orders_by_status": dict(result["orders_by_outcome"]),
        "lost": found.lost,
        "doubled": found.doubled,
        "half_applied": len(found.half_applied),
        "examples": {
            k: getattr(found, k)[:EXAMPLES]
            for k in (
                "lost_online",
                "lost_offline",
                "doubled_online",
                "doubled_offline",
                "half_applied",
            )
        },  # fmt: skip
        "offline_raw_copies_over_one": result["offline_raw_copies_over_one"],
        "faults": result["events"],
        "recovery": recovery,
        "materialize_runs": result["materialized"],
        "skew_check": result["skew"],
        "checks": checks,
        "read_slices": slices,
    }


def write(figures: dict, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(figures, indent=2, default=str) + "\n")


def failed_checks(figures: dict) -> list[str]:
    return [name for name, passed in figures["checks"].items() if not passed]
