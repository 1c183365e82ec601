"""Feast's ``FULL_REPO_CONFIGS_MODULE`` for one variant: the online stores its universal tests run on.

Imported by Feast's own test configuration (``tests.universal.feature_repos.repo_configuration``)
when ``FULL_REPO_CONFIGS_MODULE`` names this module, so it runs inside Feast's test tree and imports
from it. Offline data comes from Feast's file source, as in Feast's local runs. Redis and DynamoDB
are real servers on free loopback ports (redis-server, moto in server mode), one of each per test
process, started when a test first needs them; each test's tables and keys are its own project's.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

from tests.universal.feature_repos.universal.data_sources.file import FileDataSourceCreator
from tests.universal.feature_repos.universal.online_store_creator import OnlineStoreCreator

from devtools.feast_suite.variants import VARIANT_VARIABLE, variant_named
from devtools.local_servers import MotoServer, RedisServer

VARIANT = variant_named(os.environ.get(VARIANT_VARIABLE))
SERVERS_DIRECTORY = Path(tempfile.mkdtemp(prefix="feast-suite-servers-"))
atexit.register(shutil.rmtree, SERVERS_DIRECTORY, True)  # last at exit: after the servers stop


@cache
def _redis() -> RedisServer:
    server = RedisServer(SERVERS_DIRECTORY / "redis").start()
    atexit.register(server.stop)
    return server


@cache
def _moto() -> MotoServer:
    server = MotoServer(SERVERS_DIRECTORY / "moto").start()
    atexit.register(server.stop)
    return server


class _VariantStoreCreator(OnlineStoreCreator):
    """The variant's class for one of Feast's store keys, with the settings that reach its server.

    Every store has a creator so that a test's id names the creator, the same in every variant."""

    key: str

    def settings(self) -> dict[str, str]:
        return {}

    def create_online_store(self) -> dict[str, str]:
        return {"type": VARIANT.store_types[self.key], **self.settings()}

    def teardown(self) -> None:
        """Feast's teardown has deleted the test's tables and keys; the servers outlive the test."""


class SqliteCreator(_VariantStoreCreator):
    """Its file in the test's repository directory (Feast's default path)."""

    key = "sqlite"


class RedisCreator(_VariantStoreCreator):
    """On the process's redis-server (Feast's own creator needs Docker)."""

    key = "redis"

    def settings(self) -> dict[str, str]:
        return {"connection_string": f"{_redis().endpoint},db=0"}


class DynamoDBCreator(_VariantStoreCreator):
    """On the process's moto server."""

    key = "dynamodb"

    def settings(self) -> dict[str, str]:
        return {"endpoint_url": _moto().url, "region": "us-west-2"}


AVAILABLE_OFFLINE_STORES = [("local", FileDataSourceCreator)]
AVAILABLE_ONLINE_STORES = {
    creator.key: ({"type": VARIANT.store_types[creator.key]}, creator)
    for creator in (SqliteCreator, RedisCreator, DynamoDBCreator)
}
