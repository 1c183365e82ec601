"""The catalogue command: the README's feature catalogue, generated from the definitions."""

from __future__ import annotations

from typing import Annotated

import typer

from feature_repo.cli.rendering import console, err_console

app = typer.Typer()


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
