"""PutRecord rates into the SageMaker emulator: the tutorial's one-record-at-a-time loop against the
mirror's concurrent ingest (its configured ``max_workers``), and a read-back of every record sent."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from feast import FeatureStore

from feature_repo.repository.horizon import data_horizon
from feature_repo.sagemaker.aws import make_clients
from feature_repo.sagemaker.config import load_settings
from feature_repo.sagemaker.feast_rows import view_rows
from feature_repo.sagemaker.ingest import _put, send_records
from feature_repo.sagemaker.mirror import applied_plans
from feature_repo.sagemaker.record_values import records_from_frame

VIEW = "user_profile"
BATCH_GET = 100  # BatchGetRecord's limit


def _missing(clients, group: str, identifiers: list[str]) -> int:
    """How many of ``identifiers`` the online store does not return."""
    found = 0
    for i in range(0, len(identifiers), BATCH_GET):
        answer = clients.runtime.batch_get_record(
            Identifiers=[
                {
                    "FeatureGroupName": group,
                    "RecordIdentifiersValueAsString": identifiers[i : i + BATCH_GET],
                }
            ]
        )
        found += len(answer["Records"])
    return len(identifiers) - found


def ingest_rates(
    store: FeatureStore, settings_path: Path, serial: int, parallel: int
) -> dict[str, Any]:
    settings = load_settings(settings_path)
    clients = make_clients(settings)
    plan = applied_plans(store, settings, clients, [VIEW])[0]
    frame = view_rows(store, plan.spec, data_horizon().to_pydatetime(), latest=True)
    records = records_from_frame(frame, plan.spec, settings.event_time_format)
    if len(records) < serial + parallel:
        raise ValueError(f"{VIEW} has {len(records)} records, fewer than {serial + parallel}")
    start = time.perf_counter()
    for record in records[:serial]:
        _put(clients, plan.group_name, record, "online")
    serial_seconds = time.perf_counter() - start
    chosen = records[serial : serial + parallel]
    start = time.perf_counter()
    sent, failed = send_records(clients, plan.group_name, chosen, "online", settings)
    parallel_seconds = time.perf_counter() - start
    return {
        "serial_per_second": serial / serial_seconds,
        "parallel_per_second": parallel / parallel_seconds,
        "workers": settings.max_workers,
        "sent": sent,
        "failed": len(failed),
        "missing": _missing(clients, plan.group_name, [r.identifier for r in chosen]),
    }
