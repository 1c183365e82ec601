"""Mapping rules checked before any call: types, names, overrides, values (no server needed)."""

from __future__ import annotations

import json
import math

import pandas as pd
import pytest
from feast import FeatureView, Field
from feast.types import Array, Bool, Float64, Int64, String, UnixTimestamp

from feature_repo.definitions.entities import user
from feature_repo.definitions.sources import user_profile_source
from feature_repo.sagemaker.config import SageMakerSettings
from feature_repo.sagemaker.errors import SchemaMappingError
from feature_repo.sagemaker.names import decoded_text, group_name, parameter_value, tag_value
from feature_repo.sagemaker.record_values import records_from_frame
from feature_repo.sagemaker.schema_mapping import feature_group_spec


def view_with(*fields: Field, name: str = "probe_view") -> FeatureView:
    return FeatureView(
        name=name,
        entities=[user],
        schema=[Field(name="user_id", dtype=Int64), *fields],
        source=user_profile_source,
    )


def test_types_map_as_documented():
    view = view_with(
        Field(name="count", dtype=Int64), Field(name="flag", dtype=Bool), Field(name="ratio", dtype=Float64),
        Field(name="label", dtype=String), Field(name="seen_at", dtype=UnixTimestamp),
    )  # fmt: skip
    spec = feature_group_spec(view, SageMakerSettings(), "p")
    assert spec.feature_types == {
        "user_id": "Integral", "event_timestamp": "String", "count": "Integral", "flag": "Integral",
        "ratio": "Fractional", "label": "String", "seen_at": "String",
    }  # fmt: skip
    assert spec.record_identifier == "user_id" and spec.event_time_feature == "event_timestamp"
    unix = feature_group_spec(view, SageMakerSettings(event_time_format="unix_seconds"), "p")
    assert unix.feature_types["event_timestamp"] == "Fractional"


def test_a_list_is_an_error_naming_view_feature_and_the_way_out():
    view = view_with(Field(name="favourite_dishes", dtype=Array(String)))
    with pytest.raises(SchemaMappingError) as error:
        feature_group_spec(view, SageMakerSettings(), "p")
    message = str(error.value)
    assert "probe_view" in message and "favourite_dishes" in message and "type_overrides" in message


def test_an_overridden_list_is_sent_as_json_text():
    view = view_with(Field(name="favourite_dishes", dtype=Array(String)))
    settings = SageMakerSettings(type_overrides={"probe_view.favourite_dishes": "String"})
    spec = feature_group_spec(view, settings, "p")
    assert spec.feature_types["favourite_dishes"] == "String"
    frame = pd.DataFrame(
        {
            "user_id": [7],
            "event_timestamp": [pd.Timestamp("2020-05-01 10:00:00.123", tz="UTC")],
            "favourite_dishes": [["pizza", "Hell's wings"]],
        }
    )
    (record,) = records_from_frame(frame, spec)
    assert json.loads(dict(record.features)["favourite_dishes"]) == ["pizza", "Hell's wings"]
    assert record.event_time == "2020-05-01T10:00:00.123Z" and record.identifier == "7"


@pytest.mark.parametrize("name", ["is_deleted", "write_time", "API_INVOCATION_TIME"])
def test_reserved_feature_names_are_refused(name):
    with pytest.raises(SchemaMappingError, match=f"'{name}' is reserved"):
        feature_group_spec(view_with(Field(name=name, dtype=Int64)), SageMakerSettings(), "p")


@pytest.mark.parametrize(
    "name", ["order count", "_leading", "trailing-", "x" * 65, "double__-ok_but_ends_"]
)
def test_invalid_feature_names_are_refused(name):
    with pytest.raises(SchemaMappingError, match="breaks SageMaker's rule"):
        feature_group_spec(view_with(Field(name=name, dtype=Int64)), SageMakerSettings(), "p")


def test_group_names_are_checked_and_versioned():
    assert group_name("delivery-fs-", "user_order_stats", 3) == "delivery-fs-user-order-stats-v3"
    with pytest.raises(SchemaMappingError, match="64 characters"):
        group_name("p" * 40 + "-", "user_order_stats_with_a_long_name", 1)


def test_tag_and_parameter_text_round_trips_whatever_its_characters():
    for text in [
        "Hell's Kitchen",
        "trailing 7 days, (t-7d, t]",
        "plain text 1.0",
        "base64:looks encoded",
    ]:
        assert decoded_text(tag_value(text)) == text
        assert decoded_text(parameter_value(text)) == text
    assert tag_value("plain text 1.0") == "plain text 1.0"  # readable when AWS allows it


def test_missing_values_are_omitted_and_floats_round_trip():
    spec = feature_group_spec(
        view_with(Field(name="ratio", dtype=Float64), Field(name="label", dtype=String)),
        SageMakerSettings(),
        "p",
    )
    frame = pd.DataFrame({"user_id": [1, 2], "event_timestamp": pd.to_datetime(["2020-01-01", "2020-01-02"], utc=True),
                          "ratio": [0.1 + 0.2, math.nan], "label": [None, "x"]})  # fmt: skip
    first, second = records_from_frame(frame, spec)
    assert dict(first.features) == {
        "user_id": "1",
        "event_timestamp": "2020-01-01T00:00:00.000Z",
        "ratio": "0.30000000000000004",
    }
    assert dict(second.features) == {
        "user_id": "2",
        "event_timestamp": "2020-01-02T00:00:00.000Z",
        "label": "x",
    }
    assert float(dict(first.features)["ratio"]) == 0.1 + 0.2
