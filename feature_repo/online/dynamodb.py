"""The DynamoDB online store: its endpoint, botocore's retry settings, and its errors in our words.

Feast 0.67 passes its ``retry_mode`` / ``total_max_retry_attempts`` settings only to its async
client; the client that materializes and serves synchronously takes botocore's defaults. Retries
are therefore configured the standard botocore way, through ``AWS_RETRY_MODE`` and
``AWS_MAX_ATTEMPTS`` (or ``~/.aws/config``): ``apply_retry_defaults`` sets them when unset.
Throttling and 5xx answers are then retried with exponential backoff and jitter by botocore.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

from feature_repo.online.errors import RERUN_HINT, OnlineStoreError, OnlineStoreUnavailableError

RETRY_DEFAULTS = {"AWS_RETRY_MODE": "standard", "AWS_MAX_ATTEMPTS": "8"}


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
def dynamodb_errors(online_config):
    from botocore.exceptions import BotoCoreError, ClientError  # the aws extra

    where = f"DynamoDB at {dynamodb_endpoint(online_config)} (region {online_config.region})"
    try:
        yield
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        advice = (
            "check the credentials and the IAM permissions the README lists for the aws profile"
            if code in ("AccessDeniedException", "UnrecognizedClientException")
            else f"it still failed after {os.environ.get('AWS_MAX_ATTEMPTS', 'the configured')} attempts"
        )
        raise OnlineStoreError(
            f"{where} answered {code}: {error}; {advice}. {RERUN_HINT}"
        ) from error
    except BotoCoreError as error:
        raise OnlineStoreUnavailableError(
            f"{where} is unreachable: {error}. {RERUN_HINT}"
        ) from error
