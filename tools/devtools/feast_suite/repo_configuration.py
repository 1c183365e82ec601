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


class SqliteCreator(OnlineStoreCreator):
    """The variant's SQLite class, its file in the test's repository directory (Feast's default path).

    Every store has a creator so that a test's id names the creator, the same in every variant."""

    def create_online_store(self) -> dict[str, str]:
        return {"type": VARIANT.store_types["sqlite"]}

    def teardown(self) -> None:
        """Feast's teardown has deleted the file's tables."""


class RedisCreator(OnlineStoreCreator):
    """The variant's Redis class on the process's redis-server (Feast's own creator needs Docker)."""

    def create_online_store(self) -> dict[str, str]:
        return {
            "type": VARIANT.store_types["redis"],
            "connection_string": f"{_redis().endpoint},db=0",
        }

    def teardown(self) -> None:
        """The server outlives the test: Feast's teardown has deleted the test's keys."""


class DynamoDBCreator(OnlineStoreCreator):
    """The variant's DynamoDB class on the process's moto server."""

    def create_online_store(self) -> dict[str, str]:
        return {
            "type": VARIANT.store_types["dynamodb"],
            "endpoint_url": _moto().url,
            "region": "us-west-2",
        }

    def teardown(self) -> None:
        """The server outlives the test: Feast's teardown has deleted the test's tables."""


AVAILABLE_OFFLINE_STORES = [("local", FileDataSourceCreator)]
AVAILABLE_ONLINE_STORES = {
    "sqlite": ({"type": VARIANT.store_types["sqlite"]}, SqliteCreator),
    "redis": ({"type": VARIANT.store_types["redis"]}, RedisCreator),
    "dynamodb": ({"type": VARIANT.store_types["dynamodb"]}, DynamoDBCreator),
}
