"""Commands on the data: raw files, feature tables, their quality gate and their horizon."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from feature_repo.cli.errors import USER_ERROR_EXIT_CODE
from feature_repo.cli.instants import horizon_unless
from feature_repo.cli.rendering import console, print_error
from feature_repo.core.paths import data_location, features_dir

app = typer.Typer()


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
    hold_out_after: Annotated[
        str | None,
        typer.Option(
            help="Keep the orders placed after this instant (ISO-8601) out of the raw files, in "
            "held_out_transactions.parquet, for `delivery-fs replay`."
        ),
    ] = None,
) -> None:
    """Write users and transactions in the tutorial's format (CSV and Parquet)."""
    from feature_repo.operations.data_jobs import generate_data as generate

    held_after = None if hold_out_after is None else pd_instant(hold_out_after)
    run = generate(seed=seed, scale=scale, out=out, force=force, hold_out_after=held_after)
    result = run.result
    verb = "unchanged" if result.skipped else "wrote"
    console.print(
        f"{verb}: {result.users:,} users and {result.transactions:,} transactions in {result.directory}"
    )
    if run.published:
        console.print(f"published the raw files to {data_location()}/raw")


def pd_instant(text: str):
    import pandas as pd

    from feature_repo.cli.instants import instant

    return pd.Timestamp(instant(text))


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
    from feature_repo.operations.data_jobs import build_features as build

    run = build(users=users, transactions=transactions, out=out, force=force, engine=engine)
    result = run.result
    console.print(f"reading {run.users} and {run.transactions}")
    verb = "unchanged" if result.skipped else "wrote"
    for name, rows in result.rows.items():
        console.print(f"{verb}: {name} ({rows:,} rows)")
    for name, rows in result.serving_rows.items():
        console.print(f"{verb}: {name} ({rows:,} rows, serving only)")
    console.print(f"data complete up to {result.horizon.isoformat()}")
    if run.published:
        console.print(f"published the feature tables to {data_location()}/features")


@app.command("data-horizon")
def data_horizon() -> None:
    """Print the instant up to which the feature tables are complete (ISO-8601, for `feast materialize-incremental`)."""
    from feature_repo.repository.horizon import data_horizon as horizon

    print(horizon().strftime("%Y-%m-%dT%H:%M:%S"))


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

    report = check_feature_files(features_dir(), as_of=pd.Timestamp(horizon_unless(as_of)))
    if not report.passed:
        print_error(report.render())
        raise typer.Exit(code=USER_ERROR_EXIT_CODE)
    console.print(report.render())
