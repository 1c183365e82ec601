"""Commands that read training data: a demo training frame, and reproducible training sets."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from feature_repo.cli.rendering import console, print_frame, print_plain

app = typer.Typer()


@app.command("show-training-frame")
def show_training_frame(
    service: Annotated[str, typer.Option(help="Feature service to read.")] = "churn_model_v1",
    rows: Annotated[int, typer.Option(help="Number of (user, time) rows to sample.")] = 6,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 7,
) -> None:
    """Print a point-in-time-correct training frame for random (user, time) rows."""
    from feature_repo.operations.demo_lookups import demo_training_frame
    from feature_repo.repository.horizon import data_horizon
    from feature_repo.repository.store import open_store

    frame = demo_training_frame(open_store(), service, data_horizon(), rows, seed)
    print_frame(f"training frame through {service}: one column per (user, time) row", frame)


@app.command("training-set")
def training_set(
    service: Annotated[str | None, typer.Option(help="Feature service to build from.")] = None,
    entities: Annotated[
        Path | None,
        typer.Option(help="Entity/label rows (Parquet or CSV) with user_id and event_timestamp."),
    ] = None,
    name: Annotated[
        str | None,
        typer.Option(
            help="Name of the training set (files <name>.parquet, .entities.parquet, .manifest.json)."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            help="Directory (build) or file (rebuild) to write to (default: data/training_sets)."
        ),
    ] = None,
    from_manifest: Annotated[
        Path | None,
        typer.Option(help="Rebuild the training set of this manifest and check its content hash."),
    ] = None,
) -> None:
    """Build a reproducible training set with a manifest, or rebuild one from its manifest (exit 1 if it differs)."""
    from feature_repo.core.paths import data_dir
    from feature_repo.repository.store import open_store
    from feature_repo.training.sets import (
        TrainingSetError,
        build_training_set,
        read_entity_rows,
        rebuild_training_set,
    )

    if not from_manifest and not (service and entities and name):
        raise TrainingSetError(
            "pass --service, --entities and --name to build, or --from-manifest to rebuild"
        )
    store = open_store()
    if from_manifest:
        result = rebuild_training_set(store, from_manifest, out)
        print_plain(result.summary())
        if not result.reproduced:
            raise typer.Exit(code=1)
        return
    manifest = build_training_set(
        store, service, read_entity_rows(entities), out or data_dir() / "training_sets", name
    )
    console.print(
        f"{manifest.name}: {manifest.rows:,} rows from {manifest.feature_service}; content {manifest.content_sha256[:12]}"
    )
