"""plan -> apply -> ingest -> verify through the real CLI, against the emulator and moto's S3.

Expected values come from the feature tables read with pandas (a second path to the same data,
not through Feast or the mirror's own conversion).
"""

from __future__ import annotations

import io
from types import SimpleNamespace

import boto3
import pandas as pd
import pyarrow.parquet as pq
import pytest

from feature_repo.core.paths import feature_table_path
from tests.sagemaker.services import BUCKET, sagemaker_cli, write_settings

MUTATING = (
    "CreateFeatureGroup",
    "UpdateFeatureGroup",
    "UpdateFeatureMetadata",
    "DeleteFeatureGroup",
    "AddTags",
)
GROUPS = {
    "transaction_features": "delivery-fs-transaction-features-v1",
    "user_order_stats": "delivery-fs-user-order-stats-v1",
    "user_profile": "delivery-fs-user-profile-v1",
}
TTL_DAYS = {"user_profile": 400, "user_order_stats": 365}


@pytest.fixture(scope="module")
def mirror(store_config, materialized_store, control):
    settings = write_settings("e2e")

    def cli(*args: str, check: bool = True):
        return sagemaker_cli(store_config, settings, *args, check=check)

    plan = cli("plan")
    apply = cli("apply")
    calls_after_apply = control.calls()
    second_apply = cli("apply")
    calls_after_second_apply = control.calls()
    ingest = cli("ingest", "--view", "user_profile", "--view", "user_order_stats", "--no-progress")
    return SimpleNamespace(
        cli=cli, plan=plan.stdout, apply=apply.stdout, second_apply=second_apply.stdout, ingest=ingest.stdout,
        calls_after_apply=calls_after_apply, calls_after_second_apply=calls_after_second_apply,
    )  # fmt: skip


def latest_rows(table: str, horizon: pd.Timestamp) -> pd.DataFrame:
    """Latest row per user within the view's TTL before the horizon, with pandas alone."""
    frame = pd.read_parquet(feature_table_path(table))
    window = frame[
        (frame["event_timestamp"] <= horizon)
        & (frame["event_timestamp"] >= horizon - pd.Timedelta(days=TTL_DAYS[table]))
    ]
    return window.sort_values("event_timestamp").groupby("user_id").tail(1).set_index("user_id")


def online_records(runtime, group: str, identifiers: list[int]) -> dict[str, dict[str, str]]:
    found = {}
    for start in range(0, len(identifiers), 100):
        chunk = [str(i) for i in identifiers[start : start + 100]]
        answer = runtime.batch_get_record(
            Identifiers=[{"FeatureGroupName": group, "RecordIdentifiersValueAsString": chunk}]
        )
        assert not answer["Errors"], answer["Errors"][:3]
        found.update(
            {
                r["RecordIdentifierValueAsString"]: {
                    v["FeatureName"]: v["ValueAsString"] for v in r["Record"]
                }
                for r in answer["Records"]
            }
        )
    return found


def sagemaker_type(dtype) -> str:
    """The expected SageMaker type from the column's pandas dtype (not from Feast's types)."""
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
        return "Integral"
    if pd.api.types.is_float_dtype(dtype):
        return "Fractional"
    return "String"  # strings and timestamps (ISO-8601)


def test_plan_shows_a_creation_per_view_and_apply_creates_them(mirror, sagemaker):
    for view, group in GROUPS.items():
        assert f"{view}: create -> {group}" in mirror.plan
        assert f"done: {group}" in mirror.apply
    for view, group in GROUPS.items():
        described = sagemaker.describe_feature_group(FeatureGroupName=group)
        assert described["FeatureGroupStatus"] == "Created"
        columns = pd.read_parquet(feature_table_path(view)).drop(
            columns=["user_id"] if view == "transaction_features" else []
        )
        expected = {name: sagemaker_type(dtype) for name, dtype in columns.dtypes.items()}
        assert {
            f["FeatureName"]: f["FeatureType"] for f in described["FeatureDefinitions"]
        } == expected
        assert described["EventTimeFeatureName"] == "event_timestamp"
        assert described["RecordIdentifierFeatureName"] == (
            "transaction_id" if view == "transaction_features" else "user_id"
        )
        assert described["OfflineStoreConfig"]["S3StorageConfig"]["S3Uri"] == f"s3://{BUCKET}/e2e"


def test_second_apply_changes_nothing(mirror):
    assert mirror.second_apply.count("nothing to do") == len(GROUPS)
    assert "done:" not in mirror.second_apply
    for operation in MUTATING:
        assert mirror.calls_after_second_apply.get(operation, 0) == mirror.calls_after_apply.get(
            operation, 0
        ), operation
    assert mirror.calls_after_apply["CreateFeatureGroup"] >= len(GROUPS)


def test_descriptions_and_tags_survive_any_character(mirror, sagemaker):
    from feature_repo.definitions.user_features import AT_CHANGE, user_order_stats
    from feature_repo.sagemaker.names import decoded_text

    group = GROUPS["user_order_stats"]
    described = sagemaker.describe_feature_group(FeatureGroupName=group)
    assert described["Description"] == user_order_stats.description
    tags = {
        t["Key"]: t["Value"]
        for t in sagemaker.list_tags(ResourceArn=described["FeatureGroupArn"])["Tags"]
    }
    assert (
        tags["owner"] == "delivery-data-science" and tags["delivery-fs:managed-by"] == "delivery-fs"
    )
    metadata = sagemaker.describe_feature_metadata(
        FeatureGroupName=group, FeatureName="order_count_30d"
    )
    assert metadata["Description"] == "Orders in the last 30 days."
    parameters = {p["Key"]: decoded_text(p["Value"]) for p in metadata["Parameters"]}
    assert "'" in AT_CHANGE and parameters["known_at"] == AT_CHANGE
    assert parameters["window"] == "trailing 30 days, (t-30d, t]"


def test_online_records_equal_the_latest_rows(mirror, runtime, horizon):
    expected = latest_rows("user_profile", horizon)
    records = online_records(runtime, GROUPS["user_profile"], expected.index.tolist())
    assert "1,245 of 1,245 records sent" in mirror.ingest and len(records) == len(expected) == 1245
    for user_id, row in expected.iterrows():
        record = records[str(user_id)]
        assert record["neighborhood"] == row["neighborhood"]
        assert int(record["age_years"]) == row["age_years"]
        assert pd.Timestamp(record["event_timestamp"]) == row["event_timestamp"]
        assert pd.Timestamp(record["registered_at"]) == row["registered_at"]
    assert (
        expected["neighborhood"] == "Hell's Kitchen"
    ).sum() > 0  # the apostrophe goes through unchanged


def test_missing_values_are_left_out_not_sent_as_nan(mirror, runtime, horizon):
    expected = latest_rows("user_order_stats", horizon)
    empty = expected[expected["spend_mean_30d"].isna()]
    full = expected[expected["spend_mean_30d"].notna()]
    assert len(empty) > 10 and len(full) > 10
    records = online_records(
        runtime, GROUPS["user_order_stats"], [*empty.index[:50], *full.index[:50]]
    )
    assert all("spend_mean_30d" not in records[str(u)] for u in empty.index[:50])
    assert all(
        float(records[str(u)]["spend_mean_30d"]) == full.loc[u, "spend_mean_30d"]
        for u in full.index[:50]
    )
    assert all(
        "nan" not in value.lower() for record in records.values() for value in record.values()
    )


def test_verify_agrees_then_reports_an_injected_difference(mirror, runtime, horizon):
    clean = mirror.cli(
        "verify", "--view", "user_profile", "--view", "user_order_stats", "--sample", "150"
    )
    assert "no difference in 300 entities" in clean.stdout  # 150 per user view
    group = GROUPS["user_order_stats"]
    user_id = str(latest_rows("user_order_stats", horizon).index[7])
    original = runtime.get_record(FeatureGroupName=group, RecordIdentifierValueAsString=user_id)[
        "Record"
    ]
    tampered = [
        {**v, "ValueAsString": str(int(v["ValueAsString"]) + 5)}
        if v["FeatureName"] == "order_count_90d"
        else v
        for v in original
    ]
    runtime.put_record(FeatureGroupName=group, Record=tampered)
    try:
        found = mirror.cli(
            "verify",
            "--view",
            "user_order_stats",
            "--sample",
            "5",
            "--entity",
            user_id,
            check=False,
        )
    finally:
        runtime.put_record(FeatureGroupName=group, Record=original)
    assert found.returncode == 1
    assert "1 differences" in found.stdout
    difference = next(line for line in found.stdout.splitlines() if user_id in line)
    assert "order_count_90d" in difference and "value" in difference


def test_incremental_ingest_sends_nothing_when_nothing_is_newer(mirror, control):
    before = control.calls().get("PutRecord", 0)
    again = mirror.cli(
        "ingest",
        "--view",
        "user_profile",
        "--view",
        "user_order_stats",
        "--incremental",
        "--no-progress",
    )
    assert again.stdout.count(": 0 of 0 records sent") == 2
    assert control.calls().get("PutRecord", 0) == before
    assert "sagemaker ingest" not in again.stderr  # --no-progress


def test_history_lands_in_s3_as_parquet_under_the_group_path(mirror, control, s3_endpoint, horizon):
    result = mirror.cli("ingest", "--view", "user_profile", "--no-online", "--history")
    frame = pd.read_parquet(feature_table_path("user_profile"))
    expected = frame[frame["event_timestamp"] <= horizon]
    assert f"(offline): {len(expected):,} of {len(expected):,} records sent" in result.stdout
    # progress, piped: plain lines on stderr, the last one counting every record
    done = f"sagemaker ingest {GROUPS['user_profile']} (offline): done, {len(expected):,}/{len(expected):,} records in"
    assert done in result.stderr and "records sent" not in result.stderr
    control.flush()
    s3 = boto3.client("s3", endpoint_url=s3_endpoint)
    prefix = "e2e/123456789012/sagemaker/us-east-1/offline-store/delivery-fs-user-profile-v1-"
    keys = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=prefix)
        for o in page.get("Contents", [])
    ]
    assert keys and all("/data/year=" in key and key.endswith(".parquet") for key in keys)
    tables = [
        pq.read_table(io.BytesIO(s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())).to_pandas()
        for key in keys
    ]
    stored = pd.concat(tables, ignore_index=True)
    assert {"write_time", "api_invocation_time", "is_deleted"} <= set(
        stored.columns
    ) and not stored["is_deleted"].any()
    got = sorted(
        zip(stored["user_id"], pd.to_datetime(stored["event_timestamp"], utc=True), strict=True)
    )
    assert got == sorted(zip(expected["user_id"], expected["event_timestamp"], strict=True))
    assert (stored["neighborhood"] == "Hell's Kitchen").sum() == (
        expected["neighborhood"] == "Hell's Kitchen"
    ).sum()
