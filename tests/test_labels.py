"""Churn labels against a history worked out by hand."""

import pandas as pd

from feature_repo.transforms.labels import churn_labels, observation_grid


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def test_churn_labels_look_only_at_the_following_window():
    users = pd.DataFrame(
        {
            "user_id": [1, 2, 3],
            "registration_date": [_utc("2020-04-01"), _utc("2020-04-01"), _utc("2020-06-15")],
        }
    )
    transactions = pd.DataFrame(
        {
            "user_id": [1, 1, 2],
            # user 1 orders 30 days after the first instant (inside its window) and on the instant itself;
            # user 2 orders just after the second instant's window.
            "transaction_date": [
                _utc("2020-05-31"),
                _utc("2020-06-01"),
                _utc("2020-07-01 00:00:01"),
            ],
        }
    )
    instants = [_utc("2020-05-01"), _utc("2020-06-01"), _utc("2020-07-01")]
    grid = observation_grid(users, instants)
    assert len(grid) == 7  # user 3 registers after the first two instants
    labels = churn_labels(grid, transactions, data_horizon=_utc("2020-07-20"))
    # The 2020-07-01 instant is dropped: its window ends after the horizon.
    got = {(r.user_id, r.event_timestamp.strftime("%m-%d")): r.churned for r in labels.itertuples()}
    assert got == {(1, "05-01"): 0, (2, "05-01"): 1, (1, "06-01"): 1, (2, "06-01"): 1}
