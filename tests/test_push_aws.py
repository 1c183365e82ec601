"""Pushes on the aws profile (moto's S3 and DynamoDB over HTTP): orders pushed on one machine are
online in DynamoDB at once, reach the S3 data location as whole batch objects, and a build on
another machine (an empty working copy) takes them, each once."""

from __future__ import annotations

import json

import boto3
import pandas as pd
import pytest

from feature_repo.push.replay import HELD_OUT_NAME
from feature_repo.push.service import OrderPusher
from feature_repo.repository.store import open_store
from feature_repo.serving.lookup.online_features import OnlineFeatureReader
from tests.cli_runner import run_cli
from tests.conftest import TEST_BUCKET
from tests.stores import profile_config

pytestmark = pytest.mark.integration
PREFIX = "pushes"
LOCATION = f"s3://{TEST_BUCKET}/{PREFIX}"
T0 = pd.Timestamp("2020-10-01", tz="UTC")
ORDERS = 60


@pytest.fixture(scope="module")
def machine_a(moto, tmp_path_factory):
    """Data generated and built on "machine A" (its working copy), published to S3, and the aws
    profile applied and loaded online (DynamoDB)."""
    directory = tmp_path_factory.mktemp("machine_a")
    env = {"DELIVERY_FS_DATA_DIR": LOCATION, "DELIVERY_FS_WORK_DIR": str(directory / "data"),
           "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    run_cli("delivery-fs", "generate-data", "--seed", "23", "--scale", "0.02",
            "--hold-out-after", T0.isoformat(), env=env)  # fmt: skip
    run_cli("delivery-fs", "build-features", env=env)
    variables = {"DELIVERY_FS_DATA_DIR": LOCATION, "AWS_DEFAULT_REGION": "us-east-1"}
    config = profile_config("dynamodb", directory, variables, project="pushes_aws")
    env["FEAST_FS_YAML_FILE_PATH"] = str(config)
    run_cli("feast", "-f", str(config), "apply", env=env)
    run_cli("delivery-fs", "backfill-online", env=env)
    return env, directory / "data"


def test_pushed_orders_are_online_in_dynamodb_and_on_s3_for_another_machine(
    machine_a, tmp_path, monkeypatch
):
    env, work = machine_a
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    store = open_store()
    orders = pd.read_parquet(work / "raw" / HELD_OUT_NAME).sort_values("transaction_date")
    known = set(pd.read_parquet(work / "raw" / "users.parquet")["user_id"])
    orders = orders[orders["user_id"].isin(known)].head(ORDERS)
    records = json.loads(orders.assign(transaction_date=orders["transaction_date"].map(str))
                         .to_json(orient="records"))  # fmt: skip
    users = sorted(orders["user_id"].unique().tolist())
    reader = OnlineFeatureReader(store, feature_refs=["user_order_stats:lifetime_order_count"])
    at = orders["transaction_date"].max().tz_localize("UTC") + pd.Timedelta(hours=1)

    def online() -> dict[int, int]:
        rows = reader.read([{"user_id": u} for u in users], now=at.to_pydatetime())
        return {
            u: row["lifetime_order_count"].value or 0 for u, row in zip(users, rows, strict=True)
        }

    before = online()
    results = OrderPusher(store).push(records, "replay")
    assert [str(r.status) for r in results] == ["applied"] * ORDERS, results[0]
    added = orders["user_id"].value_counts()
    assert online() == {u: before[u] + int(added[u]) for u in users}  # DynamoDB, at once

    s3 = boto3.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(
        Bucket=TEST_BUCKET, Prefix=f"{PREFIX}/raw/pushed_transactions/")["Contents"]]  # fmt: skip
    local = sorted(p.name for p in (work / "raw" / "pushed_transactions").glob("batch-*.parquet"))
    assert sorted(k.rsplit("/", 1)[1] for k in keys) == local and local
    on_s3 = pd.concat(
        pd.read_parquet(f"s3://{TEST_BUCKET}/{key}", columns=["transaction_id"]) for key in keys
    )
    assert sorted(on_s3["transaction_id"]) == sorted(orders["transaction_id"])

    machine_b = {**env, "DELIVERY_FS_WORK_DIR": str(tmp_path / "machine_b")}
    run_cli("delivery-fs", "build-features", env=machine_b)  # an empty working copy
    ledger = pd.read_parquet(tmp_path / "machine_b" / "features" / "user_order_ledger.parquet")
    raw = pd.read_parquet(
        work / "raw" / "transactions.parquet", columns=["transaction_id", "user_id"]
    )
    everything = pd.concat([raw, orders[["transaction_id", "user_id"]]]).drop_duplicates()
    expected = everything.groupby("user_id").size()  # counted apart: raw + pushed, ids once
    counts = ledger.set_index("user_id")["lifetime_order_count"]
    assert (counts.reindex(expected.index) == expected).all()
