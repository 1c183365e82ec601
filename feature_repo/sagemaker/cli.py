"""`delivery-fs sagemaker ...`: mirror the Feast feature views into SageMaker Feature Store."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

app = typer.Typer(
    help="Mirror the feature views into SageMaker Feature Store (and run its emulator).",
    no_args_is_help=True,
)
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

ConfigOption = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="SageMaker settings (YAML; default: $DELIVERY_FS_SAGEMAKER_CONFIG, else built-in defaults).",
    ),
]
FeastYamlOption = Annotated[
    Path | None,
    typer.Option(
        "--feature-store-yaml", help="Feast feature_store.yaml (default: the repository's)."
    ),
]
ViewsOption = Annotated[
    list[str] | None,
    typer.Option(
        "--view", help="Only this feature view (repeatable; default: every mirrored view)."
    ),
]


def _context(config: Path | None, feature_store_yaml: Path | None):
    from feature_repo.sagemaker.aws import make_clients
    from feature_repo.sagemaker.config import load_settings
    from feature_repo.store_operations import open_store

    settings = load_settings(config)
    return open_store(config_path=feature_store_yaml), settings, make_clients(settings)


def _run(action):
    try:
        from feature_repo.sagemaker.errors import SageMakerMirrorError
    except ImportError as error:  # boto3 is an optional dependency
        err_console.print(
            f"[bold red]error:[/] {error}: install the extra with `pip install -e '.[sagemaker]'`."
        )
        raise typer.Exit(code=2) from None
    try:
        return action()
    except SageMakerMirrorError as error:
        err_console.print(f"[bold red]error:[/] {error}", highlight=False, markup=True)
        raise typer.Exit(code=2) from None


def _end(end: str | None):
    import pandas as pd

    from feature_repo.store_operations import data_horizon

    return (pd.Timestamp(end, tz="UTC") if end else data_horizon()).to_pydatetime()


@app.command("plan")
def plan(config: ConfigOption = None, feature_store_yaml: FeastYamlOption = None) -> None:
    """Print what `apply` would change: create, add features, nothing, or an incompatible change (new version)."""
    from feature_repo.sagemaker.plan import plan_mirror

    def run():
        store, settings, clients = _context(config, feature_store_yaml)
        for group_plan in plan_mirror(store, settings, clients):
            console.print(group_plan.summary(), highlight=False, markup=False)

    _run(run)


@app.command("apply")
def apply(config: ConfigOption = None, feature_store_yaml: FeastYamlOption = None) -> None:
    """Create or extend the feature groups so that they match the feature views (idempotent)."""
    from feature_repo.sagemaker.apply import apply_plan
    from feature_repo.sagemaker.plan import Action, plan_mirror

    def run():
        store, settings, clients = _context(config, feature_store_yaml)
        for group_plan in plan_mirror(store, settings, clients):
            console.print(group_plan.summary(), highlight=False, markup=False)
            apply_plan(group_plan, clients, settings)
            if group_plan.action is not Action.UNCHANGED:
                console.print(f"  done: {group_plan.group_name}", highlight=False)

    _run(run)


@app.command("destroy")
def destroy(config: ConfigOption = None, feature_store_yaml: FeastYamlOption = None) -> None:
    """Delete the feature groups this project created (tagged as such); others are left alone."""
    from feature_repo.sagemaker.apply import destroy as destroy_groups

    def run():
        store, settings, clients = _context(config, feature_store_yaml)
        deleted = destroy_groups(clients, settings, store.project)
        console.print(
            "\n".join(f"deleted {name}" for name in deleted) or "no feature group of this project",
            highlight=False,
        )

    _run(run)


@app.command("ingest")
def ingest(
    config: ConfigOption = None,
    feature_store_yaml: FeastYamlOption = None,
    view: ViewsOption = None,
    online: Annotated[
        bool, typer.Option(help="Send the latest row per entity to the online store.")
    ] = True,
    history: Annotated[
        bool, typer.Option(help="Send the full history to the offline store.")
    ] = False,
    incremental: Annotated[
        bool,
        typer.Option(
            help="Send only rows newer than the last mirrored event time (plus earlier failures)."
        ),
    ] = False,
    resume: Annotated[
        bool, typer.Option(help="Send only the records that failed in the last run.")
    ] = False,
    end: Annotated[
        str | None, typer.Option(help="Rows up to this instant (default: the data horizon).")
    ] = None,
    progress: Annotated[bool, typer.Option(help="Show a progress bar.")] = True,
) -> None:
    """Send records from the Feast offline store to SageMaker with PutRecord."""
    from feature_repo.sagemaker.mirror import ingest_views

    def run():
        store, settings, clients = _context(config, feature_store_yaml)
        results = ingest_views(
            store,
            settings,
            clients,
            _end(end),
            view,
            online,
            history,
            incremental,
            resume,
            progress,
        )
        for result in results:
            line = f"{result.group} ({result.target}): {result.sent:,} of {result.selected:,} records sent"
            if result.failed:
                line += f", {len(result.failed):,} failed (report: {result.failure_report}; rerun with --resume)"
            console.print(line, highlight=False)
        return results

    if any(result.failed for result in _run(run)):
        raise typer.Exit(code=1)


@app.command("verify")
def verify(
    config: ConfigOption = None,
    feature_store_yaml: FeastYamlOption = None,
    view: ViewsOption = None,
    sample: Annotated[int, typer.Option(help="Entities to sample per view.")] = 200,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 0,
    entity: Annotated[
        list[str] | None, typer.Option(help="Also compare this entity (repeatable).")
    ] = None,
    end: Annotated[
        str | None,
        typer.Option(
            help="Sample among entities with rows up to this instant (default: the data horizon)."
        ),
    ] = None,
) -> None:
    """Compare SageMaker's online records with Feast's online values; exit 1 on any difference."""
    from feature_repo.sagemaker.mirror import verify_views

    def run():
        store, settings, clients = _context(config, feature_store_yaml)
        return verify_views(store, settings, clients, _end(end), sample, seed, entity or [], view)

    compared, differences = _run(run)
    if not differences:
        console.print(f"no difference in {compared:,} entities", highlight=False)
        return
    table = Table(title=f"{len(differences)} differences in {compared:,} entities")
    for column in ("group", "record", "feature", "difference", "Feast", "SageMaker"):
        table.add_column(column, overflow="fold")
    for d in differences:
        table.add_row(d.group, d.identifier, d.feature, d.kind, d.feast, d.sagemaker)
    console.print(table)
    raise typer.Exit(code=1)
