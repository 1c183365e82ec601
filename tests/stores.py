"""Helpers of the behaviour suite: profile files made concrete for a test, data set-ups, backend inspection."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd

from devtools.profile_files import PROFILE_FILES, profile_config  # noqa: F401 - used by the tests
from feature_repo.core import raw_format as tf
from feature_repo.training.frames import training_frame
from tests.independent import same_value

SERVICE = "churn_model_v1"


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


def held_out_data(data: Path, seed: int, scale: str, hold_out_after: pd.Timestamp) -> Path:
    """Raw data in ``data`` whose orders after ``hold_out_after`` are held out (for pushes and
    replays), and the batch built up to it, with the real commands."""
    from tests.cli_runner import run_cli

    env = {"DELIVERY_FS_DATA_DIR": str(data)}
    run_cli("delivery-fs", "generate-data", "--seed", str(seed), "--scale", scale,
            "--hold-out-after", hold_out_after.isoformat(), env=env)  # fmt: skip
    run_cli("delivery-fs", "build-features", env=env)
    return data
