"""The small shared pieces: feature references, the UTC rule, and the CLI's error messages."""

from datetime import UTC, datetime, timedelta, timezone

import pandas as pd
import pytest
from feast.errors import FeatureServiceNotFoundException

from feature_repo.cli.errors import user_message
from feature_repo.core.feature_refs import FeatureRef, FeatureRefError, parse_feature_ref
from feature_repo.core.timestamps import utc, utc_columns
from feature_repo.online.errors import OnlineStoreUnavailableError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("user_order_stats:order_count_7d", FeatureRef("user_order_stats", "order_count_7d")),
        ("user_order_stats@v0:spend_sum_30d", FeatureRef("user_order_stats", "spend_sum_30d", 0)),
        ("user_recency@v12:tenure_days", FeatureRef("user_recency", "tenure_days", 12)),
    ],
)
def test_feature_references_parse_and_print_back(text, expected):
    assert parse_feature_ref(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize(
    "text", ["order_count_7d", "view:", ":feature", "view@v:f", "view@vx:f", "a:b:c"]
)
def test_malformed_references_are_refused_by_name(text):
    with pytest.raises(FeatureRefError, match=f"'{text}'"):
        parse_feature_ref(text)


def test_naive_means_utc_and_aware_is_converted():
    naive = datetime(2020, 10, 30, 22, 15)
    paris = datetime(2020, 10, 30, 23, 15, tzinfo=timezone(timedelta(hours=1)))
    assert utc(naive) == utc(paris) == pd.Timestamp(datetime(2020, 10, 30, 22, 15, tzinfo=UTC))
    assert str(utc("2020-10-30T22:15:00").tz) == "UTC"
    frame = utc_columns(
        pd.DataFrame(
            {
                "naive": [pd.Timestamp(naive)],
                "aware": [pd.Timestamp(paris)],
                "amount": [1.0],
            }
        )
    )
    assert frame["naive"].iloc[0] == frame["aware"].iloc[0]
    assert str(frame["naive"].dt.tz) == str(frame["aware"].dt.tz) == "UTC"
    assert frame["amount"].iloc[0] == 1.0


def test_user_errors_get_a_message_and_bugs_do_not():
    assert "feast apply" in user_message(FeatureServiceNotFoundException("churn", "delivery"))
    assert user_message(OnlineStoreUnavailableError("Redis at x is unreachable")) == (
        "Redis at x is unreachable"
    )
    missing_extra = ModuleNotFoundError("No module named 'boto3'", name="boto3")
    assert "pip install -e '.[sagemaker]'" in user_message(missing_extra)
    assert user_message(FileNotFoundError(2, "No such file", "data/raw/users.csv")).startswith(
        "data/raw/users.csv does not exist"
    )
    assert user_message(ValueError("a bug")) is None  # keeps its traceback
    assert user_message(ModuleNotFoundError("No module named 'x'", name="x")) is None


def test_naive_instants_are_utc_on_the_serving_path_whatever_the_local_zone(monkeypatch):
    """A naive lookup instant or request time is UTC, not the machine's local time (a serving
    host in another zone would otherwise look up hours away)."""
    import time

    from feature_repo.core.timestamps import utc_datetime
    from feature_repo.serving.lookup.on_demand import _seconds

    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        naive = datetime(2020, 5, 1, 10, 0)
        assert utc_datetime(naive) == datetime(2020, 5, 1, 10, 0, tzinfo=UTC)
        berlin = datetime(2020, 5, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
        assert utc_datetime(berlin) == datetime(2020, 5, 1, 10, 0, tzinfo=UTC)
        # 2020-05-01 10:00 UTC: 18,383 days after 1970-01-01, plus 10 hours
        expected = 18_383 * 86_400 + 10 * 3_600
        assert _seconds([naive, berlin, None])[:2] == [expected, expected]
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
