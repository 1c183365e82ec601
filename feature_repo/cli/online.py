"""Commands on the online store: its first load, and one lookup."""

from __future__ import annotations

from typing import Annotated

import typer

from feature_repo.cli.rendering import console, print_frame

app = typer.Typer()


@app.command("backfill-online")
def backfill_online() -> None:
    """Load the online store once, as of the data horizon, for views never materialized (then use materialize-incremental)."""
    from feature_repo.operations.online_backfill import backfill_online as backfill
    from feature_repo.repository.horizon import data_horizon
    from feature_repo.repository.store import open_store

    if not backfill(open_store(), data_horizon().to_pydatetime()):
        console.print("online store already loaded: nothing to backfill")


@app.command("show-online")
def show_online(
    user_id: Annotated[int, typer.Option(help="User to look up.")] = 123151,
    service: Annotated[str, typer.Option(help="Feature service to read.")] = "checkout_model_v1",
    cart_amount: Annotated[
        float, typer.Option(help="Cart amount (request data of the checkout view).")
    ] = 35.0,
) -> None:
    """Print one online lookup through a feature service, at the data horizon."""
    from feature_repo.operations.demo_lookups import online_lookup
    from feature_repo.repository.horizon import data_horizon
    from feature_repo.repository.store import open_store

    store = open_store()
    frame = online_lookup(store, user_id, service, data_horizon().to_pydatetime(), cart_amount)
    print_frame(f"online lookup of user {user_id} through {service}", frame)
