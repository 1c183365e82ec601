"""Commands for operators: training/serving skew, and the status of every feature view."""

from __future__ import annotations

from typing import Annotated

import typer

from feature_repo.cli.instants import instant
from feature_repo.cli.rendering import console, err_console, print_frame

app = typer.Typer()


@app.command("skew-check")
def skew_check(
    service: Annotated[str, typer.Option(help="Feature service to compare.")] = "churn_model_v1",
    sample: Annotated[int, typer.Option(help="Number of entities to sample.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 0,
    as_of: Annotated[
        str | None, typer.Option(help="Instant to compare at (default: the last materialization).")
    ] = None,
) -> None:
    """Compare online values with point-in-time offline values; exit 1 on any mismatch."""
    import pandas as pd

    from feature_repo.operations.consistency import compare_service
    from feature_repo.repository.store import open_store

    store = open_store()
    report = compare_service(store, service, sample, seed, instant(as_of) if as_of else None)
    rows = [
        {"feature": s.feature, "compared": s.compared, "mismatches": s.mismatches, "rate": f"{s.rate:.1%}",
         "examples (entity, offline, online)": "; ".join(map(str, s.examples))}
        for s in report.features
    ]  # fmt: skip
    print_frame(
        f"{service}: online vs offline at {report.as_of:%Y-%m-%d %H:%M} UTC, {len(report.entity_ids)} entities",
        pd.DataFrame(rows),
    )
    if report.skewed:
        err_console.print(f"skew found in {len(report.skewed)} feature(s)")
        raise typer.Exit(code=1)


@app.command("status")
def status(
    as_of: Annotated[
        str, typer.Option(help="Reference instant (ISO-8601, 'now' or 'horizon').")
    ] = "now",
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON (for monitoring) instead of a table.")
    ] = False,
    max_lag_hours: Annotated[
        float, typer.Option(help="Online store behind its data by more than this: stale.")
    ] = 24.0,
    max_data_age_hours: Annotated[
        float, typer.Option(help="Newest data older than this: stale.")
    ] = 48.0,
    fail_if_stale: Annotated[
        bool, typer.Option(help="Exit 1 when a view is stale (for alerting).")
    ] = False,
) -> None:
    """For each feature view: version, rows, newest event, last materialization, lag and staleness."""
    import json

    import pandas as pd

    from feature_repo.operations.status import storage_locations, view_statuses
    from feature_repo.repository.store import open_store

    reference = instant(as_of)  # one instant for the whole report
    store = open_store()
    statuses = view_statuses(store, reference, max_lag_hours, max_data_age_hours)
    locations = storage_locations(store)
    if as_json:
        views = [s.as_json() for s in statuses]
        print(json.dumps({"as_of": reference.isoformat(), "locations": locations, "views": views},
                         indent=2))  # fmt: skip
    else:
        for what, where in locations.items():
            console.print(f"{what}: {where}")
        print_frame(
            f"feature views as of {reference:%Y-%m-%d %H:%M} UTC",
            pd.DataFrame([s.as_json() for s in statuses]),
        )
    for warned in (s for s in statuses if s.warning):
        err_console.print(f"warning: {warned.view}: {warned.warning}")
    if fail_if_stale and any(s.stale for s in statuses):
        raise typer.Exit(code=1)
