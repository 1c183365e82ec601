"""Each rule of the emulator broken once, through boto3 over HTTP, with the error it must give."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.sagemaker.services import BUCKET

ROLE = "arn:aws:iam::123456789012:role/emulator-rules"


def definitions(*extra: tuple[str, str]) -> list[dict[str, str]]:
    pairs = [("id", "Integral"), ("event_time", "String"), *extra]
    return [{"FeatureName": n, "FeatureType": t} for n, t in pairs]


def create(sagemaker, name: str, features=None, **overrides):
    request = {
        "FeatureGroupName": name, "RecordIdentifierFeatureName": "id", "EventTimeFeatureName": "event_time",
        "FeatureDefinitions": features or definitions(("score", "Fractional"), ("label", "String")),
        "OnlineStoreConfig": {"EnableOnlineStore": True},
        "OfflineStoreConfig": {"S3StorageConfig": {"S3Uri": f"s3://{BUCKET}/rules"}}, "RoleArn": ROLE, **overrides,
    }  # fmt: skip
    return sagemaker.create_feature_group(**request)


def error_of(call, *args, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as raised:
        call(*args, **kwargs)
    return raised.value.response["Error"]["Code"], raised.value.response["Error"]["Message"]


@pytest.fixture(scope="module")
def group(sagemaker):
    create(sagemaker, "rules-group")
    statuses = [
        sagemaker.describe_feature_group(FeatureGroupName="rules-group")["FeatureGroupStatus"]
        for _ in range(3)
    ]
    assert statuses == [
        "Creating",
        "Creating",
        "Created",
    ]  # the emulator runs with --creating-describes 2
    return "rules-group"


def record(identifier: str, event_time: str, **values: str) -> list[dict[str, str]]:
    pairs = {"id": identifier, "event_time": event_time, **values}
    return [{"FeatureName": k, "ValueAsString": v} for k, v in pairs.items()]


def test_model_patterns_lengths_and_enums_come_from_botocore(sagemaker):
    code, message = error_of(create, sagemaker, "bad_name!")
    assert (
        code == "ValidationException"
        and "featureGroupName" in message
        and "regular expression" in message
    )
    code, message = error_of(create, sagemaker, "g" * 65)
    assert code == "ValidationException" and "length less than or equal to 64" in message
    code, message = error_of(create, sagemaker, "bad-type", features=definitions(("x", "Decimal")))
    assert "enum value set" in message and "featureDefinitions.3.member.featureType" in message


def test_reserved_names_and_special_feature_types(sagemaker):
    code, message = error_of(
        create, sagemaker, "reserved", features=definitions(("write_time", "String"))
    )
    assert code == "ValidationException" and "write_time" in message and "reserved" in message
    code, message = error_of(
        create,
        sagemaker,
        "event-integral",
        features=[
            {"FeatureName": "id", "FeatureType": "Integral"},
            {"FeatureName": "event_time", "FeatureType": "Integral"},
        ],
    )
    assert "EventTimeFeatureName 'event_time' has type Integral" in message
    code, message = error_of(
        create, sagemaker, "no-event", features=[{"FeatureName": "id", "FeatureType": "Integral"}]
    )
    assert "not among the FeatureDefinitions" in message


def test_an_existing_group_cannot_be_created_again(sagemaker, group):
    code, message = error_of(create, sagemaker, group)
    assert code == "ResourceInUse" and group in message


def test_updates_only_add_features(sagemaker, group):
    code, message = error_of(
        sagemaker.update_feature_group,
        FeatureGroupName=group,
        FeatureAdditions=[{"FeatureName": "score", "FeatureType": "String"}],
    )
    assert code == "ValidationException" and "score" in message
    sagemaker.update_feature_group(
        FeatureGroupName=group,
        FeatureAdditions=[{"FeatureName": "extra", "FeatureType": "Integral"}],
    )
    described = sagemaker.describe_feature_group(FeatureGroupName=group)
    assert [f["FeatureName"] for f in described["FeatureDefinitions"]] == [
        "id",
        "event_time",
        "score",
        "label",
        "extra",
    ]


def test_records_need_an_event_time_in_an_allowed_format(runtime, group):
    code, message = error_of(
        runtime.put_record,
        FeatureGroupName=group,
        Record=[{"FeatureName": "id", "ValueAsString": "1"}],
    )
    assert code == "ValidationError" and "event_time" in message
    for bad in ["2020-01-01 00:00:00", "2020-01-01T00:00:00+00:00", "1588291200"]:
        code, message = error_of(
            runtime.put_record, FeatureGroupName=group, Record=record("1", bad)
        )
        assert code == "ValidationError" and bad in message
    code, message = error_of(
        runtime.put_record,
        FeatureGroupName=group,
        Record=record("1", "2020-01-01T00:00:00Z", score="nan"),
    )
    assert "score" in message and "Fractional" in message
    code, message = error_of(
        runtime.put_record,
        FeatureGroupName=group,
        Record=record("1", "2020-01-01T00:00:00Z", unknown="1"),
    )
    assert "unknown" in message


def test_online_store_keeps_the_newest_event_time(runtime, group):
    runtime.put_record(
        FeatureGroupName=group, Record=record("42", "2020-05-02T00:00:00.000Z", label="newer")
    )
    runtime.put_record(
        FeatureGroupName=group, Record=record("42", "2020-05-01T00:00:00.000Z", label="older")
    )
    got = runtime.get_record(FeatureGroupName=group, RecordIdentifierValueAsString="42")["Record"]
    assert {v["FeatureName"]: v["ValueAsString"] for v in got}["label"] == "newer"
    runtime.delete_record(
        FeatureGroupName=group,
        RecordIdentifierValueAsString="42",
        EventTime="2020-05-03T00:00:00.000Z",
    )
    assert "Record" not in runtime.get_record(
        FeatureGroupName=group, RecordIdentifierValueAsString="42"
    )


def test_batch_get_record_takes_at_most_100_identifiers(runtime, group):
    runtime.put_record(
        FeatureGroupName=group,
        Record=record("7", "2020-05-02T00:00:00.000Z", label="Hell's Kitchen"),
    )
    ids = [str(i) for i in range(101)]
    code, message = error_of(
        runtime.batch_get_record,
        Identifiers=[{"FeatureGroupName": group, "RecordIdentifiersValueAsString": ids}],
    )
    assert code == "ValidationError" and "100" in message
    answer = runtime.batch_get_record(
        Identifiers=[{"FeatureGroupName": group, "RecordIdentifiersValueAsString": ids[:100]}]
    )
    assert [r["RecordIdentifierValueAsString"] for r in answer["Records"]] == ["7"]
    assert {v["FeatureName"]: v["ValueAsString"] for v in answer["Records"][0]["Record"]}[
        "label"
    ] == "Hell's Kitchen"
