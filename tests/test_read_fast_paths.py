"""The lean reader's faster paths give what its general paths give: the one-row forms of the
request-time rules against the vectorised rules (hypothesis), a lookup's on-demand values with and
without the one-row form, ``served_row`` against ``python_value`` value by value, and SQLite's
one-entity read against the same entity read among others."""

from __future__ import annotations

import math
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from feast.protos.feast.types.Value_pb2 import Value as ValueProto
from hypothesis import given, settings
from hypothesis import strategies as st

from feature_repo.definitions.on_demand import checkout_context, user_recency
from feature_repo.serving.decoding import (
    FeatureStatus,
    FeatureValue,
    python_value,
    served_row,
)
from feature_repo.serving.lookup.on_demand import OnDemandInputs, on_demand_values
from feature_repo.serving.lookup.online_features import OnlineFeatureReader
from feature_repo.serving.readers.sqlite_reader import _instant
from feature_repo.transforms.request_features import (
    checkout_features,
    checkout_row,
    recency_features,
    recency_row,
)

NOW = datetime(2020, 10, 31, 12, tzinfo=UTC)
seconds = st.one_of(
    st.just(math.nan), st.floats(min_value=-4e9, max_value=4e9, allow_nan=False)
)  # Unix seconds of 1843 to 2096, or missing
amounts = st.one_of(
    st.just(math.nan), st.just(0.0), st.floats(allow_nan=False, allow_infinity=False)
)


def _same(left, right) -> bool:
    """Equal values of the same type (``1 == 1.0`` is not enough: the answer is JSON)."""
    return type(left) is type(right) and left == right


@settings(max_examples=400, deadline=None)
@given(seconds, seconds, seconds)
def test_recency_row_is_the_list_form_of_one_row(registered, last_order, now):
    batch = recency_features([registered], [last_order], [now])
    row = recency_row(registered, last_order, now)
    assert set(row) == set(batch)
    assert all(_same(row[name], batch[name][0]) for name in batch), (row, batch)


@settings(max_examples=400, deadline=None)
@given(amounts, amounts)
def test_checkout_row_is_the_list_form_of_one_row(cart, mean):
    batch = checkout_features([cart], [mean])
    row = checkout_row(cart, mean)
    assert set(row) == set(batch)
    assert all(_same(row[name], batch[name][0]) for name in batch), (row, batch)


instants = st.one_of(
    st.none(),
    st.datetimes(
        min_value=datetime(1980, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    ),
)
statuses = st.sampled_from(list(FeatureStatus))
request_values = st.one_of(  # what a caller may send: numbers, and what the arrays also read
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**60), max_value=2**60),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["12.5", "-3"]),
)


def _served(value, status) -> FeatureValue:
    return FeatureValue(value if status is FeatureStatus.PRESENT else None, status)


@settings(max_examples=300, deadline=None)
@given(instants, statuses, instants, statuses, instants)
def test_one_user_recency_equals_the_general_path(registered, s1, last, s2, request_time):
    inputs = OnDemandInputs.of(user_recency)
    assert inputs.one_row is recency_row
    values = {"registered_at": [_served(registered, s1)], "last_order_at": [_served(last, s2)]}
    rows = [{"user_id": 1, "request_time": request_time or NOW}]
    fast = on_demand_values(inputs, values, rows)
    general = on_demand_values(replace(inputs, one_row=None), values, rows)
    assert fast == general
    for name in fast:
        assert _same(fast[name][0].value, general[name][0].value)


@settings(max_examples=300, deadline=None)
@given(amounts, statuses, request_values)
def test_one_user_checkout_equals_the_general_path(mean, status, cart):
    inputs = OnDemandInputs.of(checkout_context)
    assert inputs.one_row is checkout_row
    values = {"spend_mean_30d": [_served(None if math.isnan(mean) else mean, status)]}
    rows = [{"user_id": 1, "cart_amount": cart}]
    try:
        general = on_demand_values(replace(inputs, one_row=None), values, rows)
    except (ValueError, TypeError, OverflowError) as error:
        with pytest.raises(type(error)):
            on_demand_values(inputs, values, rows)
        return
    fast = on_demand_values(inputs, values, rows)
    assert fast == general
    for name in fast:
        assert _same(fast[name][0].value, general[name][0].value)


stored_protos = st.one_of(
    st.none(),
    st.just(b""),
    st.integers(min_value=-(2**63), max_value=2**63 - 1).map(lambda v: ValueProto(int64_val=v)),
    st.floats(allow_nan=False).map(lambda v: ValueProto(double_val=v)),
    st.text(max_size=5).map(lambda v: ValueProto(string_val=v)),
    st.integers(min_value=0, max_value=2**33).map(lambda v: ValueProto(unix_timestamp_val=v)),
    st.lists(st.integers(min_value=0, max_value=2**40), max_size=4).map(
        lambda v: ValueProto(int64_list_val={"val": v})
    ),
    st.just(ValueProto()),
)


def _bytes(proto) -> bytes | None:
    return proto if proto is None or isinstance(proto, bytes) else proto.SerializeToString()


@settings(max_examples=300, deadline=None)
@given(st.lists(stored_protos, max_size=8), st.integers(min_value=-3, max_value=3))
def test_served_row_decodes_each_value_as_python_value(protos, days_ago):
    stored = [_bytes(p) for p in protos]
    event_time = NOW - timedelta(days=days_ago)
    served = served_row(event_time, stored, timedelta(days=2), NOW)
    if days_ago < 0:
        assert served == FeatureValue(None, FeatureStatus.NOT_YET_VALID, event_time)
    elif days_ago > 2:
        assert served == FeatureValue(None, FeatureStatus.OUTSIDE_MAX_AGE, event_time)
    else:
        expected = []
        for value in map(python_value, stored):
            status = FeatureStatus.NULL_VALUE if value is None else FeatureStatus.PRESENT
            expected.append(FeatureValue(value, status, event_time))
        assert served == expected
        assert all(type(s) is FeatureValue for s in served)
    for serialized in stored:  # lists left as read, everything else as python_value
        value = python_value(serialized, lists_as_read=True)
        assert (list(value) if hasattr(value, "extend") else value) == python_value(serialized)


@pytest.mark.integration
def test_one_user_sqlite_read_equals_the_same_user_read_among_others(
    materialized_store, raw_tables
):
    reader = OnlineFeatureReader(materialized_store, "churn_model_v1")
    users = raw_tables[0]["user_id"].tolist()[:30] + [1]  # user 1 does not exist
    together = reader.stored_rows([{"user_id": u} for u in users])
    for i, user in enumerate(users):
        alone = reader.stored_rows([{"user_id": user}])
        twice = reader.stored_rows([{"user_id": user}, {"user_id": user}])
        assert alone.keys() == together.keys()
        for view_key, rows in together.items():
            assert alone[view_key] == [rows[i]], (user, view_key)
            assert twice[view_key] == [rows[i], rows[i]], (user, view_key)
    assert all(rows[-1] is None for rows in together.values())  # nothing for the unknown user
    assert any(rows[0] is not None for rows in together.values())


@pytest.mark.parametrize("zone", ["UTC", "America/New_York", "Asia/Kolkata"])
def test_sqlite_event_times_read_as_feast_reads_them_in_any_local_zone(monkeypatch, zone):
    """Feast reads ``event_ts`` as local time labelled UTC; the reader skips the local-time
    conversion only where it changes nothing (local time is UTC)."""
    monkeypatch.setenv("TZ", zone)
    time.tzset()
    try:
        for stamp in (0, 1_589_068_800, 1_604_102_399, 1_583_650_800, 2_000_000_000):
            feast = datetime.fromtimestamp(stamp).replace(tzinfo=UTC)  # Feast's SQLite read
            assert _instant(stamp) == feast and _instant(stamp).tzinfo is UTC, (zone, stamp)
        assert _instant(None) is None
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()
