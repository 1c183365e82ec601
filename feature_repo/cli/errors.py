"""The one place where errors become messages and exit codes, for every ``delivery-fs`` command.

Every ``FeatureStoreError`` (the project's root), and the failures of Feast and of the environment
that a user fixes rather than reports (a registry or an object that ``feast apply`` has not
created, a missing file, an optional extra not installed), is printed as one ``error:`` line on
standard error, and the command exits with code 2. Anything else is a bug and keeps its traceback.
Nothing heavy is imported here: ``--help`` and a quick failure must not pay for ``import feast``.
"""

from __future__ import annotations

import sqlite3

import click
import typer
from typer.core import TyperGroup

from feature_repo.cli.rendering import print_error
from feature_repo.core.disk_space import is_out_of_space
from feature_repo.core.errors import FeatureStoreError

USER_ERROR_EXIT_CODE = 2
OPTIONAL_EXTRAS = {  # a module of an optional dependency -> the extra that installs it
    "boto3": "sagemaker",
    "botocore": "sagemaker",
    "regex": "sagemaker",
    "tqdm": "sagemaker",
    "redis": "redis",
    "s3fs": "aws",
    "pyspark": "spark",
}
APPLY_HINT = "Run `feast apply` (and `make demo` for the demo data) first."


def user_message(error: BaseException) -> str | None:
    """The message a user gets for ``error``, or ``None`` when it is not the user's to fix."""
    if isinstance(error, FeatureStoreError):
        return str(error)
    if type(error).__module__.startswith("feast."):  # Feast is imported once it raised
        from feast.errors import FeastError, FeastObjectNotFoundException

        if isinstance(error, FeastObjectNotFoundException):
            return f"{str(error).rstrip('.')}. {APPLY_HINT}"
        if isinstance(error, FeastError):
            return str(error)
    if isinstance(error, FileNotFoundError):
        if "Registry not found" in str(error):
            return f"{str(error).rstrip('.')}. {APPLY_HINT}"
        missing = error.filename or str(error)
        return f"{missing} does not exist. Create it first (`make demo` builds the demo data)."
    if is_out_of_space(error):
        where = f" writing {error.filename}" if getattr(error, "filename", None) else ""
        return f"no space left{where} ({error}). Free some space and run it again."
    if isinstance(error, sqlite3.OperationalError):
        return f"a SQLite store cannot be read ({error}). {APPLY_HINT}"
    if isinstance(error, ModuleNotFoundError) and error.name in OPTIONAL_EXTRAS:
        extra = OPTIONAL_EXTRAS[error.name]
        return f"{error}: install the extra with `pip install -e '.[{extra}]'`."
    return None


class HandledErrorsGroup(TyperGroup):
    """A command group whose subcommands' user errors end as a message and exit code 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception as error:
            message = user_message(error)
            if message is None:
                raise
            print_error(message)
            raise typer.Exit(code=USER_ERROR_EXIT_CODE) from None
