"""The catalogue command: the feature catalogue page (docs/catalogue.md), generated from the definitions."""

from __future__ import annotations

from typing import Annotated

import typer

from feature_repo.cli.rendering import console, err_console

app = typer.Typer()


@app.command("catalogue")
def catalogue(
    check: Annotated[
        bool,
        typer.Option(help="Fail if docs/catalogue.md is out of date instead of rewriting it."),
    ] = False,
) -> None:
    """Write the feature catalogue, generated from the definitions, into docs/catalogue.md."""
    from feature_repo.repository.catalogue import update_catalogue_page

    changed = update_catalogue_page(check=check)
    if check and changed:
        err_console.print("docs/catalogue.md is out of date: run `delivery-fs catalogue`.")
        raise typer.Exit(code=1)
    console.print("catalogue up to date" if not changed else "docs/catalogue.md rewritten")
