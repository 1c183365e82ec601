"""Helpers of the behaviour suite: profile files made concrete for a test, data set-ups, backend inspection."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import yaml

from feature_repo.paths import REPO_ROOT
from feature_repo.pipeline import tutorial_format as tf
from feature_repo.store_operations import training_frame
from tests.independent import same_value

PROFILE_FILES = {
    "sqlite": REPO_ROOT / "feature_store.yaml",
    "redis": REPO_ROOT / "profiles" / "feature_store.redis.yaml",
    "redis_cluster": REPO_ROOT / "profiles" / "feature_store.redis_cluster.yaml",
    "dynamodb": REPO_ROOT / "profiles" / "feature_store.aws.yaml",
    "spark": REPO_ROOT / "profiles" / "feature_store.spark.yaml",
}
SERVICE = "churn_model_v1"


def profile_config(profile: str, directory: Path, variables: dict[str, str], project: str) -> Path:
    """The profile's file with its ``${VAR}`` filled in, a project of the test's own, and local
    registry and SQLite files in ``directory`` (an S3 registry stays where the profile puts it)."""
    text = PROFILE_FILES[profile].read_text()
    for name, value in variables.items():
        text = text.replace(f"${{{name}}}", value)
    unset = [line for line in text.splitlines() if "${" in line.split("#", 1)[0]]
    assert not unset, f"variables left unset in the {profile} profile: {unset}"
    config = yaml.safe_load(text)
    config["project"] = project
    if not config["registry"]["path"].startswith("s3://"):
        config["registry"]["path"] = str(directory / "registry.db")
    if config["online_store"]["type"] == "sqlite":
        config["online_store"]["path"] = str(directory / "online_store.db")
    path = directory / f"feature_store.{profile}.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


def copy_data(source: Path, target: Path) -> Path:
    """A private copy of raw data and feature tables, so that a test may append to it."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("s3"))
    return target


def append_orders_of_a_new_day(
    raw_dir: Path, horizon: pd.Timestamp, users: list[int]
) -> pd.DataFrame:
    """One new order per user on the day after ``horizon`` (tutorial CSV; the Parquet copy is removed)."""
    transactions = pd.read_csv(raw_dir / "transactions.csv")
    first_id = int(transactions["transaction_id"].max()) + 1
    when = horizon + pd.Timedelta(hours=12)
    new = pd.DataFrame(
        {
            "transaction_id": range(first_id, first_id + len(users)),
            "user_id": users,
            "amount": [20.0 + i for i in range(len(users))],
            "shipping_costs": 2.5,
            "discount_coupon": 0,
            "discount_coupon_amount": 0,
            "payment_method": "Credit card",
            "transaction_date": (when + pd.Timedelta(minutes=1) * pd.Series(range(len(users))))
            .dt.strftime(tf.TRANSACTION_DATE_FORMAT)
            .tolist(),
            "delivery_type": "Pizza",
        }
    )
    pd.concat([transactions, new]).to_csv(raw_dir / "transactions.csv", index=False)
    (raw_dir / "transactions.parquet").unlink(missing_ok=True)
    return new


def online_offline_mismatches(store, entities: pd.DataFrame) -> tuple[pd.DataFrame, list]:
    """The offline frame of ``entities`` and every (user, feature) whose online value differs."""
    offline = training_frame(store, entities, SERVICE)
    online = store.get_online_features(
        features=store.get_feature_service(SERVICE),
        entity_rows=entities[["user_id", "request_time"]].to_dict("records"),
    ).to_df()
    assert online["user_id"].tolist() == offline["user_id"].tolist()
    features = [c for c in online.columns if c not in ("user_id", "request_time")]
    assert len(features) == 2 + 6 + 26  # recency, profile, order statistics
    mismatches = [
        (user, feature, offline_value, online_value)
        for feature in features
        for user, offline_value, online_value in zip(
            offline["user_id"], offline[feature], online[feature], strict=True
        )
        if not same_value(offline_value, online_value)
    ]
    return offline, mismatches
