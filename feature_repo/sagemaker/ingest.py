"""Sending Feast's rows to a feature group with PutRecord: bounded concurrency, botocore's retries,
progress (``feature_repo.core.progress``: records sent per group and target), a failure report, and an incremental mode that sends only what is newer than last time.

Online target: the latest row per entity (as Feast materializes it). Offline target: the full history.
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

from feature_repo.core import progress
from feature_repo.sagemaker.aws import SageMakerClients
from feature_repo.sagemaker.config import SageMakerSettings
from feature_repo.sagemaker.errors import AwsCallError, translated_errors
from feature_repo.sagemaker.mirror_state import (
    FailedRecord,
    read_failures,
    read_watermark,
    write_failures,
    write_watermark,
)
from feature_repo.sagemaker.record_values import Record, event_seconds

TARGET_STORES = {"online": "OnlineStore", "offline": "OfflineStore"}


@dataclass(frozen=True)
class IngestResult:
    group: str
    target: str
    selected: int
    sent: int
    failed: tuple[FailedRecord, ...]
    failure_report: Path | None


def select_records(
    records: list[Record], watermark: str | None, failed: list[FailedRecord], resume_only: bool
) -> list[Record]:
    """The records to send: all; or (incremental) those newer than ``watermark`` plus earlier failures;
    or (resume) only earlier failures."""
    failed_keys = {(f.identifier, f.event_time) for f in failed}
    if resume_only:
        return [r for r in records if (r.identifier, r.event_time) in failed_keys]
    if watermark is None:
        return records
    since = event_seconds(watermark)
    return [
        r
        for r in records
        if event_seconds(r.event_time) > since or (r.identifier, r.event_time) in failed_keys
    ]


def _put(clients: SageMakerClients, group: str, record: Record, target: str) -> None:
    action = f"PutRecord of {record.identifier} at {record.event_time} into {group}"
    with translated_errors(action, clients.runtime_endpoint):
        clients.runtime.put_record(
            FeatureGroupName=group,
            Record=record.as_feature_values(),
            TargetStores=[TARGET_STORES[target]],
        )


def send_records(
    clients: SageMakerClients,
    group: str,
    records: Iterable[Record],
    target: str,
    settings: SageMakerSettings,
) -> tuple[int, list[FailedRecord]]:
    """PutRecord each record with at most ``max_workers`` calls in flight; (sent, failed).
    Throttling and 5xx answers are retried by botocore; what still fails is reported, and
    endpoint or credential errors stop the run."""
    records = list(records)
    failed: list[FailedRecord] = []
    sent = 0
    in_flight: dict[Future, Record] = {}
    window = settings.max_workers * 2
    with (
        ThreadPoolExecutor(max_workers=settings.max_workers) as pool,
        progress.task(f"sagemaker ingest {group} ({target})", len(records), "records") as task,
    ):

        def collect(done: set[Future]) -> None:
            nonlocal sent
            for future in done:
                record = in_flight.pop(future)
                try:
                    future.result()
                    sent += 1
                except AwsCallError as error:
                    failed.append(FailedRecord(record.identifier, record.event_time, str(error)))
                task.advance()

        try:
            for record in records:
                if len(in_flight) >= window:
                    collect(wait(in_flight, return_when=FIRST_COMPLETED).done)
                in_flight[pool.submit(_put, clients, group, record, target)] = record
            collect(wait(in_flight).done)
        except BaseException:
            for future in in_flight:
                future.cancel()
            raise
    return sent, failed


def ingest_group(
    clients: SageMakerClients,
    group: str,
    records: list[Record],
    target: str,
    settings: SageMakerSettings,
    incremental: bool = False,
    resume_only: bool = False,
) -> IngestResult:
    """Send one group's records to one target store and record the watermark and the failures."""
    earlier_failures = read_failures(group, target)
    watermark = read_watermark(group, target) if incremental else None
    chosen = select_records(records, watermark, earlier_failures, resume_only)
    sent, failed = send_records(clients, group, chosen, target, settings)
    if chosen:
        previous = read_watermark(group, target)
        newest = max(
            [r.event_time for r in chosen] + ([previous] if previous else []), key=event_seconds
        )
        write_watermark(group, target, newest)
    report = write_failures(group, target, failed)
    return IngestResult(group, target, len(chosen), sent, tuple(failed), report)
