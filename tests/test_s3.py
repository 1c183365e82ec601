"""S3 for the aws profile: the pipeline publishes there, the offline store reads it with no row lost,
and a missing or forbidden bucket stops the run with a clear error. moto_server stands in for S3."""

from __future__ import annotations

import io

import boto3
import pandas as pd

from devtools.local_servers import MotoServer
from feature_repo.training.frames import sample_training_entities, training_frame
from tests.cli_runner import run_cli
from tests.conftest import AWS_PREFIX as PREFIX
from tests.conftest import TEST_BUCKET
from tests.independent import same_value
from tests.stores import copy_data


def test_publish_puts_every_table_and_manifest_last_and_no_staging_left(aws_store, built_data):
    listed = boto3.client("s3").list_objects_v2(Bucket=TEST_BUCKET, Prefix=f"{PREFIX}/")
    keys = {item["Key"] for item in listed["Contents"]}
    tables = ("user_profile", "user_order_stats", "transaction_features")
    assert {f"{PREFIX}/features/{t}.parquet" for t in tables} | {
        f"{PREFIX}/features/_manifest.json"
    } <= keys
    assert not [k for k in keys if "/.staging/" in k]
    for table in tables:  # the same rows as the local build
        body = boto3.client("s3").get_object(
            Bucket=TEST_BUCKET, Key=f"{PREFIX}/features/{table}.parquet"
        )
        published = pd.read_parquet(io.BytesIO(body["Body"].read()))
        pd.testing.assert_frame_equal(
            published, pd.read_parquet(built_data / "features" / f"{table}.parquet")
        )


def test_sources_read_s3(aws_store):
    paths = {view.name: view.batch_source.path for view in aws_store.list_feature_views()}
    assert paths == {
        name: f"s3://{TEST_BUCKET}/{PREFIX}/features/{name}.parquet"
        for name in (
            "user_profile",
            "user_order_stats",
            "transaction_features",
            "user_order_ledger",
        )
    }


def test_s3_offline_store_returns_the_same_rows_and_values_as_the_local_default(
    aws_store, store, raw_tables, horizon
):
    users, _ = raw_tables
    sampled = sample_training_entities(
        users, horizon - pd.Timedelta(days=400), horizon, 3_000, seed=5
    )
    # Rows with nothing inside the TTL or before any registration: the dask store drops such rows.
    before_everything = sampled.head(200).assign(
        event_timestamp=pd.Timestamp("2019-01-01", tz="UTC")
    )
    before_everything["request_time"] = before_everything["event_timestamp"]
    entities = pd.concat([sampled, before_everything], ignore_index=True)

    from_s3 = training_frame(aws_store, entities, "churn_model_v1")
    local = training_frame(store, entities, "churn_model_v1")

    assert len(from_s3) == len(local) == len(entities)
    assert from_s3["user_id"].tolist() == entities["user_id"].tolist()
    assert sorted(from_s3.columns) == sorted(local.columns)
    differences = [
        (row, column, a, b)
        for column in local.columns
        for row, (a, b) in enumerate(zip(local[column], from_s3[column], strict=True))
        if not same_value(a, b)
    ]
    assert not differences, differences[:5]
    assert from_s3["order_count_30d"].gt(0).sum() > 100  # values were really read
    assert from_s3.tail(200)["gender"].isna().all()  # before registration: missing, row kept


def test_missing_bucket_is_a_clear_error(moto, built_data, tmp_path):
    work = copy_data(built_data, tmp_path / "data")
    env = {"DELIVERY_FS_DATA_DIR": "s3://no-such-bucket-here/x", "DELIVERY_FS_WORK_DIR": str(work)}
    result = run_cli("delivery-fs", "build-features", env=env, check=False)
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "S3 bucket 'no-such-bucket-here'" in message and moto.url in message
    assert "Create the bucket" in message


def test_bucket_that_denies_access_is_a_clear_error(built_data, tmp_path):
    # A second moto_server that checks credentials: the dummy keys are unknown to it (403).
    strict = MotoServer(tmp_path / "strict", env={"INITIAL_NO_AUTH_ACTION_COUNT": "0"}).start()
    try:
        work = copy_data(built_data, tmp_path / "data")
        env = {
            "DELIVERY_FS_DATA_DIR": f"s3://{TEST_BUCKET}/x",
            "DELIVERY_FS_WORK_DIR": str(work),
            "AWS_ENDPOINT_URL_S3": strict.url,
        }
        result = run_cli("delivery-fs", "build-features", env=env, check=False)
    finally:
        strict.stop()
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert f"S3 bucket '{TEST_BUCKET}' at {strict.url} denied access" in message, message
    assert "IAM permissions" in message
