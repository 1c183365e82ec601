"""The offline store: records written as Parquet to S3, under the group's S3 URI, as SageMaker lays them out.

``{S3Uri}/{account}/sagemaker/{region}/offline-store/{group}-{creation epoch}/data/year=/month=/day=/hour=/``
Records are buffered and written in batches (on a timer, when a batch is full, or on request),
with SageMaker's extra columns ``write_time``, ``api_invocation_time`` and ``is_deleted``.
"""

from __future__ import annotations

import io
import threading
import uuid
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import boto3
import pyarrow as pa
import pyarrow.parquet as pq
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from sagemaker_emulator.feature_groups import ACCOUNT_ID, FeatureGroup
from sagemaker_emulator.protocols import ApiError

ARROW_TYPES = {"Integral": pa.int64(), "Fractional": pa.float64(), "String": pa.string()}
BATCH_RECORDS = 5000


def split_s3_uri(uri: str) -> tuple[str, str]:
    """Bucket and key prefix (no trailing slash) of ``s3://bucket/prefix``."""
    without_scheme = uri.split("://", 1)[1]
    bucket, _, prefix = without_scheme.partition("/")
    return bucket, prefix.strip("/")


def offline_prefix(group: FeatureGroup, region: str) -> str:
    """The key prefix of a group's offline data, inside its bucket."""
    _, prefix = split_s3_uri(group.offline_config["S3StorageConfig"]["S3Uri"])
    folder = f"{ACCOUNT_ID}/sagemaker/{region}/offline-store/{group.name}-{int(group.created_at.timestamp())}/data"
    return f"{prefix}/{folder}" if prefix else folder


def _event_datetime(value: str, feature_type: str) -> datetime:
    if feature_type == "Fractional":
        return datetime.fromtimestamp(float(value), UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _column(values: list[str | None], feature_type: str) -> pa.Array:
    if feature_type == "Integral":
        return pa.array([None if v is None else int(v) for v in values], pa.int64())
    if feature_type == "Fractional":
        return pa.array([None if v is None else float(v) for v in values], pa.float64())
    return pa.array(values, pa.string())


def records_table(group: FeatureGroup, rows: list[dict[str, Any]]) -> pa.Table:
    """Buffered rows as one Arrow table: the group's features, then SageMaker's three extra columns."""
    columns = {
        name: _column([row["features"].get(name) for row in rows], feature_type)
        for name, feature_type in group.feature_types.items()
    }
    columns["write_time"] = pa.array([row["written"] for row in rows], pa.timestamp("ms", "UTC"))
    columns["api_invocation_time"] = pa.array(
        [row["invoked"] for row in rows], pa.timestamp("ms", "UTC")
    )
    columns["is_deleted"] = pa.array([row["deleted"] for row in rows], pa.bool_())
    return pa.table(columns)


class OfflineWriter:
    """Buffers offline records per group and writes them to S3 (moto's server in tests) as Parquet."""

    def __init__(self, s3_endpoint: str | None, region: str, flush_seconds: float = 2.0):
        self.s3_endpoint = s3_endpoint
        self._region = region
        self._s3 = boto3.client(
            "s3",
            endpoint_url=s3_endpoint,
            region_name=region,
            config=Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3),
        )
        self._buffers: dict[str, tuple[FeatureGroup, list[dict[str, Any]]]] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self.written_objects = 0
        self._stop = threading.Event()
        self._timer = threading.Thread(
            target=self._flush_periodically, args=(flush_seconds,), daemon=True
        )
        self._timer.start()

    def check_bucket(self, params: dict[str, Any]) -> None:
        """Refuse a group whose offline store bucket cannot be reached (the service checks its S3 access)."""
        config = params.get("OfflineStoreConfig")
        if not config:
            return
        bucket, _ = split_s3_uri(config["S3StorageConfig"]["S3Uri"])
        try:
            self._s3.head_bucket(Bucket=bucket)
        except (BotoCoreError, ClientError) as error:
            raise ApiError(
                "ValidationException",
                f"Cannot access the offline store bucket {bucket!r} at {self.s3_endpoint or 'the default S3 endpoint'}: {error}",
            ) from error

    def append(self, group: FeatureGroup, features: dict[str, str], deleted: bool) -> None:
        now = datetime.now(UTC)
        row = {"features": features, "written": now, "invoked": now, "deleted": deleted}
        with self._lock:
            key = f"{group.name}-{group.created_at.timestamp()}"
            self._buffers.setdefault(key, (group, []))[1].append(row)
            full = len(self._buffers[key][1]) >= BATCH_RECORDS
        if full:
            self.flush()

    def flush(self) -> int:
        """Write every buffered record to S3 now; the number of records written."""
        with self._flush_lock:
            with self._lock:
                buffers, self._buffers = self._buffers, {}
            return sum(self._write_group(group, rows) for group, rows in buffers.values())

    def _write_group(self, group: FeatureGroup, rows: list[dict[str, Any]]) -> int:
        event_feature = group.request["EventTimeFeatureName"]
        event_type = group.feature_types[event_feature]
        by_hour: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in rows:
            moment = _event_datetime(row["features"][event_feature], event_type)
            by_hour[moment.strftime("year=%Y/month=%m/day=%d/hour=%H")].append(row)
        bucket, _ = split_s3_uri(group.offline_config["S3StorageConfig"]["S3Uri"])
        prefix = offline_prefix(group, self._region)
        for partition, partition_rows in by_hour.items():
            sink = io.BytesIO()
            pq.write_table(records_table(group, partition_rows), sink)
            stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
            key = f"{prefix}/{partition}/{stamp}_{uuid.uuid4().hex}.parquet"
            self._s3.put_object(Bucket=bucket, Key=key, Body=sink.getvalue())
            self.written_objects += 1
        return len(rows)

    def _flush_periodically(self, seconds: float) -> None:
        while not self._stop.wait(seconds):
            try:
                self.flush()
            except (BotoCoreError, ClientError) as error:
                print(f"offline store write failed, records dropped: {error}", flush=True)

    def close(self) -> None:
        self._stop.set()
        self.flush()
