"""boto3 clients of SageMaker's two APIs, with botocore's own retries (standard or adaptive mode).

Endpoints follow boto3's rules: ``AWS_ENDPOINT_URL_SAGEMAKER`` and
``AWS_ENDPOINT_URL_SAGEMAKER_FEATURESTORE_RUNTIME`` point them at the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from feature_repo.sagemaker.config import SageMakerSettings
from feature_repo.sagemaker.errors import translated_errors


@dataclass(frozen=True)
class SageMakerClients:
    control: Any  # "sagemaker": feature groups
    runtime: Any  # "sagemaker-featurestore-runtime": records

    @property
    def control_endpoint(self) -> str:
        return self.control.meta.endpoint_url

    @property
    def runtime_endpoint(self) -> str:
        return self.runtime.meta.endpoint_url


def make_clients(settings: SageMakerSettings) -> SageMakerClients:
    config = Config(
        retries={"mode": settings.retry_mode, "total_max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout_seconds,
        read_timeout=settings.read_timeout_seconds,
        max_pool_connections=settings.max_workers + 2,
    )
    with translated_errors("creating the SageMaker clients", "the configured region"):
        session = boto3.session.Session(region_name=settings.region)
        return SageMakerClients(
            control=session.client("sagemaker", config=config),
            runtime=session.client("sagemaker-featurestore-runtime", config=config),
        )


def list_group_names(clients: SageMakerClients, contains: str) -> Iterator[str]:
    """Names of every feature group whose name contains ``contains``, all pages (botocore's paginator)."""
    pages = clients.control.get_paginator("list_feature_groups").paginate(
        NameContains=contains, PaginationConfig={"PageSize": 100}
    )
    with translated_errors(
        f"listing feature groups containing '{contains}'", clients.control_endpoint
    ):
        for page in pages:
            yield from (summary["FeatureGroupName"] for summary in page["FeatureGroupSummaries"])


def group_tags(clients: SageMakerClients, arn: str) -> dict[str, str]:
    with translated_errors(f"listing the tags of {arn}", clients.control_endpoint):
        return {t["Key"]: t["Value"] for t in clients.control.list_tags(ResourceArn=arn)["Tags"]}


def describe_group(clients: SageMakerClients, name: str) -> dict[str, Any]:
    with translated_errors(f"describing feature group {name}", clients.control_endpoint):
        return clients.control.describe_feature_group(FeatureGroupName=name)
