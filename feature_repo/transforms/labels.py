"""Training labels: what happened after an observation instant (the one place the future is read).

Features of a training row are read as of its ``event_timestamp``; the label looks at the
window that follows it. Only observation instants whose whole label window lies inside the
data are kept, so that "no order yet" is never mistaken for "churned".
"""

from __future__ import annotations

import duckdb
import pandas as pd

CHURN_WINDOW = pd.Timedelta(days=30)


def observation_grid(users: pd.DataFrame, instants: list[pd.Timestamp]) -> pd.DataFrame:
    """Every (user, instant) pair at which the user is already registered."""
    grid = users[["user_id", "registration_date"]].merge(
        pd.DataFrame({"event_timestamp": instants}), how="cross"
    )
    grid = grid[grid["registration_date"] <= grid["event_timestamp"]]
    return grid[["user_id", "event_timestamp"]].reset_index(drop=True)


def churn_labels(
    observations: pd.DataFrame,
    transactions: pd.DataFrame,
    data_horizon: pd.Timestamp,
    window: pd.Timedelta = CHURN_WINDOW,
) -> pd.DataFrame:
    """``churned`` = 1 when the user places no order in ``(event_timestamp, event_timestamp + window]``.

    Rows whose window ends after ``data_horizon`` (the label is not yet known) are dropped.
    """
    known = observations[observations["event_timestamp"] + window <= data_horizon]
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")
        connection.register("observations", known)
        connection.register("transactions", transactions[["user_id", "transaction_date"]])
        labelled = connection.execute(
            f"""
            SELECT o.user_id, o.event_timestamp,
                   CASE WHEN count(t.transaction_date) = 0 THEN 1 ELSE 0 END AS churned
            FROM observations o
            LEFT JOIN transactions t
              ON t.user_id = o.user_id
             AND t.transaction_date > o.event_timestamp
             AND t.transaction_date <= o.event_timestamp + INTERVAL {int(window.total_seconds())} SECOND
            GROUP BY o.user_id, o.event_timestamp
            ORDER BY o.event_timestamp, o.user_id
            """
        ).df()
    finally:
        connection.close()
    labelled["event_timestamp"] = pd.to_datetime(labelled["event_timestamp"], utc=True)
    labelled["churned"] = labelled["churned"].astype("int64")
    return labelled
