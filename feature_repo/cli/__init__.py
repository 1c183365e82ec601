"""`delivery-fs`: the project's own operations. Feast's CLI stays the way to apply, plan, materialize and serve.

One module per area (``data``, ``online``, ``fresh``, ``training``, ``model``, ``operations``, ``catalogue``, ``sagemaker``);
the commands parse options, call the domain modules and print. ``errors`` is the one place where
errors become messages and exit codes; ``rendering`` prints tables and installs each command's
progress display (``feature_repo.core.progress_display``, on standard error); ``instants`` reads times.
"""

from __future__ import annotations

import typer

from feature_repo.cli import (
    catalogue,
    data,
    fresh,
    model,
    online,
    operations,
    sagemaker,
    training,
)
from feature_repo.cli.errors import HandledErrorsGroup
from feature_repo.cli.rendering import show_progress
from feature_repo.core.library_warnings import silence_library_warnings

silence_library_warnings()  # the libraries' warnings a user cannot act on, for every command

app = typer.Typer(
    cls=HandledErrorsGroup,
    help="Food-delivery feature store: raw data, feature tables and demo lookups.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
app.callback()(show_progress)
for area in (data, online, fresh, training, model, operations, catalogue):
    app.add_typer(area.app)
app.add_typer(sagemaker.app, name="sagemaker")

__all__ = ["app"]
