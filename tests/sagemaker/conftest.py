"""SageMaker test session: dummy credentials, moto's S3 server and the emulator, started once.

Both listen on 127.0.0.1 only and are stopped at the end. Environment variables are set for
this test process (boto3 in tests) and inherited by the CLI commands the tests run.
"""

from __future__ import annotations

import os

import boto3
import pytest

from tests.conftest import SESSION_DIR
from tests.sagemaker.services import (
    BUCKET,
    EXPIRED_KEY,
    EmulatorControl,
    start_emulator,
    start_moto,
    stop,
)

TEST_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


@pytest.fixture(scope="session")
def aws_env():
    saved = {key: os.environ.get(key) for key in [*TEST_ENV, "AWS_PROFILE", "AWS_SESSION_TOKEN"]}
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_SESSION_TOKEN", None)
    os.environ.update(TEST_ENV)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def s3_endpoint(aws_env):
    process, url = start_moto(SESSION_DIR / "moto.log")
    boto3.client("s3", endpoint_url=url).create_bucket(Bucket=BUCKET)
    yield url
    stop(process)


@pytest.fixture(scope="session")
def emulator(s3_endpoint):
    """The emulator's URL; boto3 reaches it through AWS_ENDPOINT_URL_SAGEMAKER(_FEATURESTORE_RUNTIME)."""
    process, url = start_emulator(s3_endpoint, EXPIRED_KEY, SESSION_DIR / "emulator.log")
    os.environ["AWS_ENDPOINT_URL_SAGEMAKER"] = url
    os.environ["AWS_ENDPOINT_URL_SAGEMAKER_FEATURESTORE_RUNTIME"] = url
    yield url
    os.environ.pop("AWS_ENDPOINT_URL_SAGEMAKER", None)
    os.environ.pop("AWS_ENDPOINT_URL_SAGEMAKER_FEATURESTORE_RUNTIME", None)
    stop(process)


@pytest.fixture(scope="session")
def control(emulator) -> EmulatorControl:
    return EmulatorControl(emulator)


@pytest.fixture(scope="session")
def sagemaker(emulator):
    return boto3.client("sagemaker")


@pytest.fixture(scope="session")
def runtime(emulator):
    return boto3.client("sagemaker-featurestore-runtime")
