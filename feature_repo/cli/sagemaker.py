"""`delivery-fs sagemaker ...`: mirror the Feast feature views into SageMaker Feature Store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from feature_repo.cli.instants import horizon_unless
from feature_repo.cli.rendering import console, print_plain, print_table

app = typer.Typer(
    help="Mirror the feature views into SageMaker Feature Store (the emulator: `sagemaker-emulator`).",
    no_args_is_help=True,
)

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
    """The Feast store, the SageMaker settings and clients a mirror command works with."""
    from feature_repo.repository.store import open_store, require_applied
    from feature_repo.sagemaker.aws import make_clients
    from feature_repo.sagemaker.config import load_settings

    settings = load_settings(config)
    store = require_applied(open_store(config_path=feature_store_yaml))
    return store, settings, make_clients(settings)


@app.command("plan")
def plan(config: ConfigOption = None, feature_store_yaml: FeastYamlOption = None) -> None:
    """Print what `apply` would change: create, add features, nothing, or an incompatible change (new version)."""
    from feature_repo.sagemaker.plan import plan_mirror

    store, settings, clients = _context(config, feature_store_yaml)
    for group_plan in plan_mirror(store, settings, clients):
        print_plain(group_plan.summary())


@app.command("apply")
def apply(config: ConfigOption = None, feature_store_yaml: FeastYamlOption = None) -> None:
    """Create or extend the feature groups so that they match the feature views (idempotent)."""
    from feature_repo.sagemaker.apply import apply_plan
    from feature_repo.sagemaker.plan import Action, plan_mirror

    store, settings, clients = _context(config, feature_store_yaml)
    for group_plan in plan_mirror(store, settings, clients):
        print_plain(group_plan.summary())
        apply_plan(group_plan, clients, settings)
        if group_plan.action is not Action.UNCHANGED:
            console.print(f"  done: {group_plan.group_name}", highlight=False)


@app.command("destroy")
def destroy(config: ConfigOption = None, feature_store_yaml: FeastYamlOption = None) -> None:
    """Delete the feature groups this project created (tagged as such); others are left alone."""
    from feature_repo.sagemaker.apply import destroy as destroy_groups

    store, settings, clients = _context(config, feature_store_yaml)
    deleted = destroy_groups(clients, settings, store.project)
    console.print(
        "\n".join(f"deleted {name}" for name in deleted) or "no feature group of this project",
        highlight=False,
    )


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
    progress: Annotated[
        bool, typer.Option(help="Show progress (a bar on a terminal, plain lines in a log).")
    ] = True,
) -> None:
    """Send records from the Feast offline store to SageMaker with PutRecord."""
    from contextlib import nullcontext

    from feature_repo.core.progress import SILENT, reporting
    from feature_repo.sagemaker.mirror import ingest_views

    store, settings, clients = _context(config, feature_store_yaml)
    with nullcontext() if progress else reporting(SILENT):
        results = ingest_views(
            store,
            settings,
            clients,
            horizon_unless(end),
            view,
            online,
            history,
            incremental,
            resume,
        )
    for result in results:
        line = (
            f"{result.group} ({result.target}): {result.sent:,} of {result.selected:,} records sent"
        )
        if result.failed:
            line += f", {len(result.failed):,} failed (report: {result.failure_report}; rerun with --resume)"
        console.print(line, highlight=False)
    if any(result.failed for result in results):
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

    store, settings, clients = _context(config, feature_store_yaml)
    compared, differences = verify_views(
        store, settings, clients, horizon_unless(end), sample, seed, entity or [], view
    )
    if not differences:
        console.print(f"no difference in {compared:,} entities", highlight=False)
        return
    print_table(
        f"{len(differences)} differences in {compared:,} entities",
        ("group", "record", "feature", "difference", "Feast", "SageMaker"),
        [(d.group, d.identifier, d.feature, d.kind, d.feast, d.sagemaker) for d in differences],
    )
    raise typer.Exit(code=1)
