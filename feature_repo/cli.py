"""`delivery-fs`: the project's own operations. Feast's CLI stays the way to apply, plan, materialize and serve."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from feature_repo.paths import features_dir, raw_dir
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
    result = generate_raw_files(out or raw_dir(), seed=seed, scale=scale, force=force)
    verb = "unchanged" if result.skipped else "wrote"
    console.print(
        f"{verb}: {result.users:,} users and {result.transactions:,} transactions in {result.directory}"
    )


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
) -> None:
    """Validate the raw data and write the feature tables read by the Feast sources."""
    from feature_repo.pipeline.build import build_feature_files
    from feature_repo.pipeline.raw_data import raw_file

    users_path = users or raw_file(raw_dir(), "users")
    transactions_path = transactions or raw_file(raw_dir(), "transactions")
    console.print(f"reading {users_path} and {transactions_path}")
    try:
        result = build_feature_files(
            users_path, transactions_path, out or features_dir(), force=force
        )
    except PipelineError as error:
        _fail(error)
    verb = "unchanged" if result.skipped else "wrote"
    for name, rows in result.rows.items():
        console.print(f"{verb}: {name} ({rows:,} rows)")
    console.print(f"data complete up to {result.horizon.isoformat()}")


@app.command("data-horizon")
def data_horizon() -> None:
    """Print the instant up to which the feature tables are complete (ISO-8601, for `feast materialize-incremental`)."""
    from feature_repo.store_operations import data_horizon as horizon

    try:
        print(horizon().strftime("%Y-%m-%dT%H:%M:%S"))
    except PipelineError as error:
        _fail(error)


@app.command("backfill-online")
def backfill_online() -> None:
    """Load the online store once, as of the data horizon, for views never materialized (then use materialize-incremental)."""
    from feature_repo.store_operations import backfill_online as backfill
    from feature_repo.store_operations import data_horizon as horizon
    from feature_repo.store_operations import open_store

    try:
        done = backfill(open_store(), horizon().to_pydatetime())
    except PipelineError as error:
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
    from feature_repo.store_operations import data_horizon as horizon
    from feature_repo.store_operations import online_lookup, open_store

    frame = online_lookup(open_store(), user_id, service, horizon().to_pydatetime(), cart_amount)
    _print_frame(f"online lookup of user {user_id} through {service}", frame)


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
