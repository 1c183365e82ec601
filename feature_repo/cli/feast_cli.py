"""Feast's own CLI with the project's warning filters: ``python -m feature_repo.cli.feast_cli apply``.

The same commands, options and output as ``feast`` (it is Feast's click group, run as is), without
the library warnings a user cannot act on (``feature_repo.core.library_warnings``). ``make demo`` runs
``feast apply`` and ``feast materialize-incremental`` through it; ``feast`` itself works as well.
"""

from __future__ import annotations

from feature_repo.core.library_warnings import silence_library_warnings


def main() -> None:
    silence_library_warnings()
    from feast.cli.cli import cli

    cli(prog_name="feast")


if __name__ == "__main__":
    main()
