"""Test session set-up: an isolated data directory and feature store, built once with the real commands.

``DELIVERY_FS_DATA_DIR`` is set before anything imports the Feast definitions, whose source
paths are computed at import time.

The tests run in parallel (pytest-xdist; which test runs where: ``tests/scheduling.py``).
One run shares one directory (``RUN_DIR``, created by the first process that imports this file and
handed to the workers through the environment): the data is generated and built there once, under a
file lock. Each process has its own ``SESSION_DIR`` inside it, with its copy of that data and the
servers and stores it starts: session-scoped fixtures are per worker.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from filelock import FileLock

RUN_DIR_ENV = "DELIVERY_FS_TEST_RUN_DIR"
RUN_DIR = Path(os.environ.get(RUN_DIR_ENV) or tempfile.mkdtemp(prefix="delivery-fs-tests-"))
os.environ[RUN_DIR_ENV] = str(RUN_DIR)  # the xdist workers, started later, inherit it
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")
SESSION_DIR = RUN_DIR / WORKER  # this process's data, servers and stores
SESSION_DIR.mkdir(parents=True, exist_ok=True)
os.environ["DELIVERY_FS_DATA_DIR"] = str(SESSION_DIR / "data")
# Dummy credentials for the moto stand-in (never real ones), and its endpoints once it runs.
TEST_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REQUEST_CHECKSUM_CALCULATION": "WHEN_REQUIRED",  # pyarrow 26 and stand-ins
}
os.environ.update(TEST_AWS_ENV)
for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
    os.environ.pop(name, None)

from feature_repo.core.paths import features_dir, raw_dir  # noqa: E402
from tests.cli_runner import run_cli  # noqa: E402
from tests.scheduling import (  # noqa: E402, F401 - hooks: markers and worker groups
    pytest_collection_modifyitems,
    pytest_itemcollected,
    pytest_xdist_make_scheduler,
)

TEST_SEED = 20240611
TEST_SCALE = 0.1  # 1,245 users, about 22,400 transactions
TEST_BUCKET = "delivery-fs-tests"
AWS_PREFIX = "offline"


def _is_worker(config) -> bool:
    return hasattr(config, "workerinput")


def pytest_unconfigure(config):
    if not _is_worker(config):
        shutil.rmtree(RUN_DIR, ignore_errors=True)


@pytest.fixture(scope="session")
def built_data() -> Path:
    """Raw data and feature tables generated with the real CLI, copied into this process's data
    directory. They are built once per run: the first worker builds them, the others wait for the
    lock and copy them, so that no worker sees files that another one is writing."""
    shared = RUN_DIR / "built"
    with FileLock(RUN_DIR / "built.lock"):
        if not (RUN_DIR / "built.done").exists():
            env = {"DELIVERY_FS_DATA_DIR": str(shared)}
            seed, scale = str(TEST_SEED), str(TEST_SCALE)
            run_cli("delivery-fs", "generate-data", "--seed", seed, "--scale", scale, env=env)
            run_cli("delivery-fs", "build-features", env=env)
            (RUN_DIR / "built.done").touch()
    data = SESSION_DIR / "data"
    shutil.copytree(shared, data)
    return data


@pytest.fixture(scope="session")
def raw_tables(built_data):
    """The raw tables as the pipeline reads them (typed and checked)."""
    from feature_repo.pipeline.raw_data import read_transactions, read_users

    users = read_users(raw_dir() / "users.csv")
    return users, read_transactions(raw_dir() / "transactions.csv", users)


def applied_store_config(directory: Path, env: dict | None = None) -> Path:
    """The root feature_store.yaml (the classes and settings it ships), with its own project and
    the registry and online store in ``directory``, applied."""
    import yaml

    from feature_repo.core.paths import REPO_ROOT

    directory.mkdir(parents=True, exist_ok=True)
    settings = yaml.safe_load((REPO_ROOT / "feature_store.yaml").read_text())
    settings["project"] = "delivery_test"
    settings["registry"]["path"] = str(directory / "registry.db")
    settings["registry"].pop("cache_ttl_seconds", None)  # each test sees what it applied
    settings["online_store"]["path"] = str(directory / "online_store.db")
    config = directory / "feature_store.yaml"
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    run_cli("feast", "-f", str(config), "apply", env=env)
    return config


@pytest.fixture(scope="session")
def store_config(built_data) -> Path:
    return applied_store_config(SESSION_DIR / "store")


@pytest.fixture(scope="session")
def store(store_config):
    from feature_repo.repository.store import open_store

    return open_store(config_path=store_config)


@pytest.fixture(scope="session")
def horizon(built_data) -> pd.Timestamp:
    from feature_repo.repository.horizon import data_horizon

    return data_horizon(features_dir())


@pytest.fixture(scope="session")
def materialized_store(store, horizon):
    """The store after the demo's online load: backfill as of the horizon, then an incremental run."""
    from feature_repo.operations.online_backfill import backfill_online

    backfill_online(store, horizon.to_pydatetime())
    store.materialize_incremental(end_date=horizon.to_pydatetime())
    return store


@pytest.fixture(scope="session")
def spark():
    """One local Spark session (profiles/spark/spark-defaults.conf: local[2], loopback, UTC) for the
    whole test session; Feast's Spark offline store and engine use it as the active session."""
    from feature_repo.spark.session import spark_session

    session = spark_session()
    assert session.sparkContext.master == "local[2]"
    yield session
    session.stop()


@pytest.fixture(scope="session")
def redis_server():
    """A redis-server on a free loopback port, for the whole session."""
    from devtools.local_servers import RedisServer

    server = RedisServer(SESSION_DIR / "redis").start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_cluster():
    """A three-node Redis Cluster on free loopback ports, for the whole session."""
    from devtools.local_servers import RedisCluster

    cluster = RedisCluster(SESSION_DIR / "redis-cluster").start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def moto():
    """moto_server for S3 and DynamoDB, reached over HTTP through the standard endpoint variables."""
    import boto3

    from devtools.local_servers import MotoServer

    server = MotoServer(SESSION_DIR / "moto").start()
    os.environ["AWS_ENDPOINT_URL_S3"] = server.url
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = server.url
    boto3.client("s3").create_bucket(Bucket=TEST_BUCKET)
    yield server
    server.stop()
    for name in ("AWS_ENDPOINT_URL_S3", "AWS_ENDPOINT_URL_DYNAMODB"):
        os.environ.pop(name, None)


@pytest.fixture(scope="session")
def aws_store(moto, built_data):
    """The aws profile (S3 registry and tables, DynamoDB) on the session's data, published to S3; the local copy is then deleted."""
    directory = SESSION_DIR / "aws"
    directory.mkdir()
    from feature_repo.repository.store import open_store
    from tests.stores import copy_data, profile_config

    work = copy_data(built_data, directory / "data")
    env = {
        "DELIVERY_FS_DATA_DIR": f"s3://{TEST_BUCKET}/{AWS_PREFIX}",
        "DELIVERY_FS_WORK_DIR": str(work),
    }
    result = run_cli("delivery-fs", "build-features", env=env)
    assert "published the feature tables" in result.stdout
    shutil.rmtree(work / "features")  # from here on, only S3 holds the feature tables
    variables = {
        "DELIVERY_FS_DATA_DIR": env["DELIVERY_FS_DATA_DIR"],
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    config = profile_config("dynamodb", directory, variables, project="s3_offline")
    run_cli("feast", "-f", str(config), "apply", env=env)
    return open_store(config_path=config)


@pytest.fixture(scope="module")
def access_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("access")


@pytest.fixture(scope="module")
def provider(access_dir):
    """The project's OIDC provider with one client per identity (tests/access_setup.py), per module."""
    from devtools.oidc import oidc_provider
    from tests.access_setup import provider_setup

    setup = provider_setup()
    with oidc_provider(setup, access_dir / "provider") as issuer:
        yield setup, issuer


@pytest.fixture(scope="module")
def secure_store(provider, access_dir, built_data, horizon):
    """The definitions applied (with their permissions) and loaded online, with direct credentials."""
    from feature_repo.operations.online_backfill import backfill_online
    from feature_repo.repository.store import open_store
    from tests.access_setup import server_config

    config = server_config(access_dir, provider[1])
    run_cli("feast", "-f", str(config), "apply")
    store = open_store(config_path=config)
    backfill_online(store, horizon.to_pydatetime())
    return config, store


@pytest.fixture(scope="module")
def monkeypatch_module():
    """``monkeypatch`` for module-scoped fixtures: undone when the module's tests end."""
    with pytest.MonkeyPatch.context() as patch:
        yield patch
