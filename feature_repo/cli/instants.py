"""Instants given on the command line: 'now', 'horizon' (the data horizon) or ISO-8601."""

from __future__ import annotations

from datetime import UTC, datetime

import typer


def instant(text: str) -> datetime:
    """``text`` as an aware UTC datetime; a naive ISO-8601 instant is taken as UTC.

    A command calls it once and uses the result throughout, so 'now' is one instant per run.
    """
    if text == "now":
        return datetime.now(UTC)
    from feature_repo.core.timestamps import utc
    from feature_repo.repository.horizon import data_horizon

    if text == "horizon":
        return data_horizon().to_pydatetime()
    try:
        return utc(text).to_pydatetime()
    except ValueError as error:
        raise typer.BadParameter(
            f"'{text}' is not an instant: expected 'now', 'horizon' or ISO-8601 such as 2020-10-31T00:00:00Z."
        ) from error


def horizon_unless(text: str | None) -> datetime:
    """``text`` as an instant, or the data horizon when it is not given."""
    return instant(text or "horizon")
