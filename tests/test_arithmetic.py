"""Shared arithmetic against values worked out by hand."""

from datetime import UTC, datetime

import numpy as np
import pandas as pd

from feature_repo.transforms.arithmetic import (
    epoch_seconds,
    hours_between,
    safe_ratio,
    whole_days_between,
)

UTC = UTC


def test_safe_ratio_is_missing_for_zero_or_missing_denominators():
    result = safe_ratio([1, 3, None, 4], [4, 0, 2, None])
    assert result[0] == 0.25
    assert np.isnan(result[1:]).all()


def test_epoch_seconds_takes_aware_naive_and_missing_values():
    # 2020-04-01T00:00:00Z is 1,585,699,200 s after the epoch (18,353 days * 86,400).
    values = [datetime(2020, 4, 1, tzinfo=UTC), pd.Timestamp("2020-04-01 00:00:01"), None]
    result = epoch_seconds(values)
    assert result[0] == 18_353 * 86_400
    assert result[1] == 18_353 * 86_400 + 1
    assert np.isnan(result[2])


def test_epoch_seconds_converts_offsets_to_utc():
    assert epoch_seconds([pd.Timestamp("2020-04-01T02:00:00+02:00")])[0] == 18_353 * 86_400


def test_whole_days_are_floored():
    day = 86_400
    assert whole_days_between([10 * day - 1, 10 * day, 0], [0, 0, day]).tolist() == [9, 10, -1]
    assert np.isnan(whole_days_between([1.0], [None])[0])


def test_hours_between():
    assert hours_between([7_200.0], [0.0])[0] == 2.0


def test_epoch_seconds_takes_numbers_as_unix_seconds_and_iso_strings():
    assert epoch_seconds([1_604_102_400]).tolist() == [1_604_102_400.0]
    assert epoch_seconds(["2020-10-31T00:00:00Z", 1_604_102_400.5]).tolist() == [
        1_604_102_400.0,
        1_604_102_400.5,
    ]
