"""`delivery-fs`: the project's own operations. Feast's CLI stays the way to apply, plan, materialize and serve."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from feature_repo.errors import FeatureStoreError
from feature_repo.paths import data_location, features_dir, raw_dir
from feature_repo.pipeline.errors import PipelineError
from feature_repo.sagemaker.cli import app as sagemaker_app

app = typer.Typer(
    help="Food-delivery feature store: raw data, feature tables and demo lookups.",
    no_args_is_help=True,
)
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)
app.add_typer(sagemaker_app, name="sagemaker")


def _fail(error: Exception) -> None:
    err_console.print(f"[bold red]error:[/] {error}")
    raise typer.Exit(code=2)


@app.command("generate-data")
def generate_data(
    seed: Annotated[
        int, typer.Option(help="Random seed: the same seed and scale give the same files.")
    ] = 42,
    scale: Annotated[
        float,
        typer.Option(
            help="Size as a multiple of the tutorial's (12,450 users, 223,971 transactions)."
        ),
    ] = 1.0,
    out: Annotated[
        Path | None, typer.Option(help="Directory for the raw files (default: data/raw).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Regenerate even if the same files are already there.")
    ] = False,
) -> None:
    """Write users and transactions in the tutorial's format (CSV and Parquet)."""
    from feature_repo.pipeline.write_raw import generate_raw_files

    if scale <= 0:
        _fail(PipelineError(f"--scale must be positive, got {scale}"))
    from feature_repo.pipeline.remote import publish_raw

    result = generate_raw_files(out or raw_dir(), seed=seed, scale=scale, force=force)
    verb = "unchanged" if result.skipped else "wrote"
    console.print(
        f"{verb}: {result.users:,} users and {result.transactions:,} transactions in {result.directory}"
    )
    try:
        if out is None and publish_raw():
            console.print(f"published the raw files to {data_location()}/raw")
    except FeatureStoreError as error:
        _fail(error)


@app.command("build-features")
def build_features(
    users: Annotated[
        Path | None,
        typer.Option(
            help="Users file, CSV or Parquet (default: data/raw/users.parquet, else .csv)."
        ),
    ] = None,
    transactions: Annotated[
        Path | None,
        typer.Option(
            help="Transactions file, CSV or Parquet (default: data/raw/transactions.parquet, else .csv)."
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="Directory for the feature tables (default: data/features).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Rebuild even if inputs and code are unchanged.")
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            help="duckdb (one machine) or spark (order statistics on the Spark of profiles/spark, or SPARK_CONF_DIR)."
        ),
    ] = "duckdb",
) -> None:
    """Validate the raw data and write the feature tables read by the Feast sources."""
    from feature_repo.pipeline.raw_data import raw_file
    from feature_repo.pipeline.remote import fetch_raw_if_missing, publish_features

    try:
        fetch_raw_if_missing()
    except FeatureStoreError as error:
        _fail(error)
    users_path = users or raw_file(raw_dir(), "users")
    transactions_path = transactions or raw_file(raw_dir(), "transactions")
    console.print(f"reading {users_path} and {transactions_path}")
    try:
        build = _feature_builder(engine)
        result = build(users_path, transactions_path, out or features_dir(), force=force)
        published = out is None and publish_features()
    except FeatureStoreError as error:
        _fail(error)
    verb = "unchanged" if result.skipped else "wrote"
    for name, rows in result.rows.items():
        console.print(f"{verb}: {name} ({rows:,} rows)")
    console.print(f"data complete up to {result.horizon.isoformat()}")
    if published:
        console.print(f"published the feature tables to {data_location()}/features")


def _feature_builder(engine: str):
    """``build_feature_files`` of the engine (DuckDB in the pipeline, or Spark)."""
    from feature_repo.pipeline.build import ENGINES, build_feature_files

    if engine not in ENGINES:
        raise PipelineError(f"Unknown engine {engine!r}: use one of {', '.join(ENGINES)}.")
    if engine == "spark":
        from feature_repo.spark.build import build_feature_files_on_spark

        return build_feature_files_on_spark
    return build_feature_files


@app.command("data-horizon")
def data_horizon() -> None:
    """Print the instant up to which the feature tables are complete (ISO-8601, for `feast materialize-incremental`)."""
    from feature_repo.store_operations import data_horizon as horizon

    try:
        print(horizon().strftime("%Y-%m-%dT%H:%M:%S"))
    except FeatureStoreError as error:
        _fail(error)


@app.command("check-quality")
def check_quality(
    as_of: Annotated[
        str | None,
        typer.Option(
            help="Instant the data must be fresh at (ISO-8601, or 'now'; default: the data horizon)."
        ),
    ] = None,
) -> None:
    """Check the feature tables against their expectations; exit 2 with a report if any fails (run before materializing)."""
    import pandas as pd

    from feature_repo.quality.gate import check_feature_files

    try:
        moment = pd.Timestamp(_instant(as_of or "horizon"))
        report = check_feature_files(features_dir(), as_of=moment)
    except FeatureStoreError as error:
        _fail(error)
    if not report.passed:
        _fail(PipelineError(report.render()))
    console.print(report.render())


@app.command("backfill-online")
def backfill_online() -> None:
    """Load the online store once, as of the data horizon, for views never materialized (then use materialize-incremental)."""
    from feature_repo.online.errors import online_store_errors
    from feature_repo.store_operations import backfill_online as backfill
    from feature_repo.store_operations import data_horizon as horizon
    from feature_repo.store_operations import open_store

    try:
        store = open_store()
        with online_store_errors(store):
            done = backfill(store, horizon().to_pydatetime())
    except FeatureStoreError as error:
        _fail(error)
    if not done:
        console.print("online store already loaded: nothing to backfill")


@app.command("show-training-frame")
def show_training_frame(
    service: Annotated[str, typer.Option(help="Feature service to read.")] = "churn_model_v1",
    rows: Annotated[int, typer.Option(help="Number of (user, time) rows to sample.")] = 6,
    seed: Annotated[int, typer.Option(help="Seed of the sample.")] = 7,
) -> None:
    """Print a point-in-time-correct training frame for random (user, time) rows."""
    import pandas as pd

    from feature_repo.pipeline.raw_data import raw_file, read_users
    from feature_repo.store_operations import data_horizon as horizon
    from feature_repo.store_operations import open_store, sample_training_entities, training_frame

    users = read_users(raw_file(raw_dir(), "users"))
    end = horizon()
    entities = sample_training_entities(users, end - pd.Timedelta(days=214), end, rows, seed)
    frame = training_frame(open_store(), entities, service)
    transposed = frame.T.reset_index()
    transposed.columns = ["feature", *[f"row {i}" for i in range(len(frame))]]
    _print_frame(f"training frame through {service}: one column per (user, time) row", transposed)


@app.command("show-online")
def show_online(
    user_id: Annotated[int, typer.Option(help="User to look up.")] = 123151,
    service: Annotated[str, typer.Option(help="Feature service to read.")] = "checkout_model_v1",
    cart_amount: Annotated[
        float, typer.Option(help="Cart amount (request data of the checkout view).")
    ] = 35.0,
) -> None:
    """Print one online lookup through a feature service, at the data horizon."""
    from feature_repo.online.errors import online_store_errors
    from feature_repo.store_operations import data_horizon as horizon
    from feature_repo.store_operations import online_lookup, open_store

    try:
        store = open_store()
        with online_store_errors(store):
            frame = online_lookup(store, user_id, service, horizon().to_pydatetime(), cart_amount)
    except FeatureStoreError as error:
        _fail(error)
    _print_frame(f"online lookup of user {user_id} through {service}", frame)


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
    import pandas as pd

    from feature_repo.paths import data_dir
    from feature_repo.store_operations import open_store
    from feature_repo.training_sets import build_training_set, rebuild_training_set

    try:
        store = open_store()
        if from_manifest:
            result = rebuild_training_set(store, from_manifest, out)
            print(
                f"{result.manifest.name}: {result.manifest.rows:,} rows; content hash "
                f"{'matches' if result.reproduced else 'DIFFERS'} ({result.content_sha256[:12]} vs {result.manifest.content_sha256[:12]}); "
                f"sources changed since: {result.changed_sources or 'none'}; pinned definitions changed: {result.definitions_changed}"
            )
            if not result.reproduced:
                raise typer.Exit(code=1)
            return
        if not (service and entities and name):
            _fail(
                PipelineError(
                    "pass --service, --entities and --name to build, or --from-manifest to rebuild"
                )
            )
        rows = pd.read_parquet(entities) if entities.suffix == ".parquet" else pd.read_csv(entities)
        rows["event_timestamp"] = pd.to_datetime(
            rows["event_timestamp"], utc=True, format="ISO8601"
        )
        manifest = build_training_set(
            store, service, rows, out or data_dir() / "training_sets", name
        )
    except FeatureStoreError as error:
        _fail(error)
    console.print(
        f"{manifest.name}: {manifest.rows:,} rows from {manifest.feature_service}; content {manifest.content_sha256[:12]}"
    )


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

    from feature_repo import consistency
    from feature_repo.store_operations import open_store

    store = open_store()
    moment = _instant(as_of) if as_of else consistency.last_materialized(store, service)
    ids = consistency.sample_entities(store, service, sample, seed)
    report = consistency.skew_check(store, service, ids, moment)
    rows = [
        {"feature": s.feature, "compared": s.compared, "mismatches": s.mismatches, "rate": f"{s.rate:.1%}",
         "examples (entity, offline, online)": "; ".join(map(str, s.examples))}
        for s in report
    ]  # fmt: skip
    _print_frame(
        f"{service}: online vs offline at {moment:%Y-%m-%d %H:%M} UTC, {len(ids)} entities",
        pd.DataFrame(rows),
    )
    if any(s.mismatches for s in report):
        err_console.print(f"skew found in {sum(1 for s in report if s.mismatches)} feature(s)")
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

    from feature_repo.status import view_statuses
    from feature_repo.store_operations import open_store

    statuses = view_statuses(open_store(), _instant(as_of), max_lag_hours, max_data_age_hours)
    if as_json:
        print(
            json.dumps(
                {"as_of": _instant(as_of).isoformat(), "views": [s.as_json() for s in statuses]},
                indent=2,
            )
        )
    else:
        import pandas as pd

        _print_frame(
            f"feature views as of {_instant(as_of):%Y-%m-%d %H:%M} UTC",
            pd.DataFrame([s.as_json() for s in statuses]),
        )
    if fail_if_stale and any(s.stale for s in statuses):
        raise typer.Exit(code=1)


def _instant(text: str):
    """'now', 'horizon' (the data horizon) or an ISO-8601 instant, as an aware UTC datetime."""
    import pandas as pd

    from feature_repo.store_operations import data_horizon as horizon

    if text == "now":
        return pd.Timestamp.now(tz="UTC").to_pydatetime()
    if text == "horizon":
        return horizon().to_pydatetime()
    moment = pd.Timestamp(text)
    return (
        moment.tz_convert("UTC") if moment.tzinfo else moment.tz_localize("UTC")
    ).to_pydatetime()


@app.command("catalogue")
def catalogue(
    check: Annotated[
        bool,
        typer.Option(help="Fail if the README's catalogue is out of date instead of rewriting it."),
    ] = False,
) -> None:
    """Write the feature catalogue, generated from the definitions, into the README."""
    from feature_repo.catalogue import update_readme

    changed = update_readme(check=check)
    if check and changed:
        err_console.print(
            "README.md's feature catalogue is out of date: run `delivery-fs catalogue`."
        )
        raise typer.Exit(code=1)
    console.print("catalogue up to date" if not changed else "README.md catalogue rewritten")


def _cell(value: object) -> str:
    """A compact rendering: missing as '-', whole floats as ints, others to 3 decimals, times to the second."""
    import pandas as pd

    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "-"
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else f"{value:.3f}"
    return str(value)


def _print_frame(title: str, frame) -> None:
    table = Table(title=title, show_lines=False)
    for position, column in enumerate(frame.columns):
        table.add_column(str(column), overflow="fold", no_wrap=position == 0)
    for row in frame.itertuples(index=False):
        table.add_row(*[_cell(v) for v in row])
    console.print(table)


if __name__ == "__main__":
    sys.exit(app())
