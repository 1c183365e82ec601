"""The DynamoDB online store: bulk writes in Feast's layout, its endpoint, botocore's retry
settings, and its errors in our words.

``BulkDynamoDBOnlineStore`` writes Feast's items (``entity_id``, ``event_ts``, ``values``) through
one ``batch_writer`` per view batch, keeping only the latest row per entity (as Feast's async
writer does), so a batch never sends two puts for one key.

Feast 0.67 passes its ``retry_mode`` / ``total_max_retry_attempts`` settings only to its async
client; the client that materializes and serves synchronously takes botocore's defaults. Retries
are therefore configured the standard botocore way, through ``AWS_RETRY_MODE`` and
``AWS_MAX_ATTEMPTS`` (or ``~/.aws/config``): ``apply_retry_defaults`` sets them when unset.
Throttling and 5xx answers are then retried with exponential backoff and jitter by botocore.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Literal

from feature_repo.online.errors import RERUN_HINT, OnlineStoreError, OnlineStoreUnavailableError

DYNAMODB_TYPE = "feature_repo.online.dynamodb.BulkDynamoDBOnlineStore"
RETRY_DEFAULTS = {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "8"}

try:  # the aws extra
    from feast.infra.online_stores.dynamodb import (
        DynamoDBOnlineStore,
        DynamoDBOnlineStoreConfig,
    )

    from feature_repo.core.feast_internals import latest_row_per_entity, write_dynamodb_items

    class BulkDynamoDBOnlineStoreConfig(DynamoDBOnlineStoreConfig):
        """Feast's DynamoDB settings (``region``, ``endpoint_url``, ...), selected by this module's class."""

        type: Literal["feature_repo.online.dynamodb.BulkDynamoDBOnlineStore"] = DYNAMODB_TYPE  # type: ignore[assignment]

    class BulkDynamoDBOnlineStore(DynamoDBOnlineStore):
        """Feast's DynamoDB online store writing only each entity's latest row of a batch."""

        def _write_batch_non_duplicates(self, table_instance, data, progress, config):
            write_dynamodb_items(self, table_instance, list(latest_row_per_entity(data)), config)
            if progress:
                progress(len(data))

except ImportError:  # pragma: no cover - without boto3 the aws profile is not usable anyway
    pass


def apply_retry_defaults() -> None:
    """Retry throttling and 5xx answers with backoff, unless the environment already says how."""
    for name, value in RETRY_DEFAULTS.items():
        os.environ.setdefault(name, value)


def dynamodb_endpoint(online_config) -> str:
    return (
        online_config.endpoint_url
        or os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
        or os.environ.get("AWS_ENDPOINT_URL")
        or f"https://dynamodb.{online_config.region}.amazonaws.com"
    )


@contextmanager
def dynamodb_errors(online_config, hint: str = RERUN_HINT):
    from botocore.exceptions import BotoCoreError, ClientError  # the aws extra

    where = f"DynamoDB at {dynamodb_endpoint(online_config)} (region {online_config.region})"
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        advice = (
            "check the credentials and the IAM permissions docs/profiles/aws.md lists"
            if code in ("AccessDeniedException", "UnrecognizedClientException")
            else "check that `feast apply` created its tables"
            if code == "ResourceNotFoundException"
            else f"it still failed after {os.environ.get('AWS_MAX_ATTEMPTS', 'the configured')} attempts"
        )
        raise OnlineStoreError(f"{where} answered {code}: {error}; {advice}. {hint}") from error
    except BotoCoreError as error:
        raise OnlineStoreUnavailableError(f"{where} is unreachable: {error}. {hint}") from error
