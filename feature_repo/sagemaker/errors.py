"""Errors of the SageMaker mirror. Each names what is at fault (endpoint, group, feature) and what to do."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import (
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
)

from feature_repo.core.errors import FeatureStoreError

CREDENTIAL_ERROR_CODES = frozenset(
    {
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "InvalidSignatureException",
    }
)


class SageMakerMirrorError(FeatureStoreError):
    """Base class: the CLI prints the message and exits with code 2."""


class SchemaMappingError(SageMakerMirrorError):
    """A Feast feature view cannot become a feature group as configured (type, name, size)."""


class IncompatibleGroupError(SageMakerMirrorError):
    """A feature group exists under our name but was not created by this project, or cannot be read as ours."""


class FeatureGroupFailedError(SageMakerMirrorError):
    """A feature group ended in CreateFailed or did not become ready in time."""


class EndpointUnreachableError(SageMakerMirrorError):
    """No answer from the endpoint."""


class CredentialsError(SageMakerMirrorError):
    """Credentials missing, expired or rejected."""


class AwsCallError(SageMakerMirrorError):
    """Any other error answered by the service, after botocore's retries."""


@contextmanager
def translated_errors(action: str, endpoint: str) -> Iterator[None]:
    """Turn botocore's exceptions into ours, naming ``action`` (what was being done) and ``endpoint``."""
    try:
        yield
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise EndpointUnreachableError(
            f"{action}: cannot reach {endpoint} ({error}). Check the endpoint "
            "(AWS_ENDPOINT_URL_SAGEMAKER / AWS_ENDPOINT_URL_SAGEMAKER_FEATURESTORE_RUNTIME, or the region) "
            "and that the service, or `sagemaker-emulator`, is running."
        ) from error
    except NoCredentialsError as error:
        raise CredentialsError(
            f"{action}: no AWS credentials found for {endpoint}. Set AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY."
        ) from error
    except NoRegionError as error:
        raise CredentialsError(
            f"{action}: no AWS region configured. Set AWS_DEFAULT_REGION or `region` in the SageMaker settings."
        ) from error
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "Unknown")
        message = error.response.get("Error", {}).get("Message", str(error))
        if code in CREDENTIAL_ERROR_CODES:
            raise CredentialsError(
                f"{action}: {endpoint} rejected the credentials ({code}: {message}). Refresh them (for example `aws sso login`) and rerun."
            ) from error
        raise AwsCallError(f"{action}: {endpoint} answered {code}: {message}") from error
