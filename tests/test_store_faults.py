"""Faults: Redis stopped in the middle of a materialization, DynamoDB throttling and 5xx answers."""

from __future__ import annotations

import os
import subprocess
import time
from datetime import timedelta

import pandas as pd
import pytest
import redis

from devtools.local_servers import RedisServer, wait_until
from feature_repo.online.errors import OnlineStoreError
from feature_repo.online.translation import online_store_errors
from feature_repo.repository.store import open_store
from tests.cli_runner import BIN_DIR, run_cli
from tests.stores import copy_data, online_offline_mismatches, profile_config
from tests.throttling_proxy import ThrottlingProxy


def test_redis_stopped_during_materialization_fails_clearly_and_a_rerun_completes(
    built_data, tmp_path, raw_tables, horizon
):
    server = RedisServer(tmp_path / "redis").start()
    restarted = None
    try:
        data = copy_data(built_data, tmp_path / "data")
        config = profile_config("redis", tmp_path, {"DELIVERY_FS_REDIS": server.endpoint}, "faults")
        env = {"DELIVERY_FS_DATA_DIR": str(data), "FEAST_FS_YAML_FILE_PATH": str(config)}
        run_cli("feast", "apply", env=env)

        # Hold every write, start the load, and stop Redis once the loader is connected and waiting.
        server.client().execute_command("CLIENT", "PAUSE", "60000", "WRITE")
        loader = subprocess.Popen(
            [str(BIN_DIR / "delivery-fs"), "backfill-online"],
            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        wait_until(
            lambda: len(server.client().client_list()) > 1, "the loader's connection", seconds=60
        )
        time.sleep(0.5)
        server.stop()
        _, stderr = loader.communicate(timeout=120)
        message = " ".join(stderr.split())
        assert loader.returncode == 2, stderr
        assert f"Redis at {server.endpoint} (online store) is unreachable" in message, message
        with pytest.raises(redis.exceptions.ConnectionError):  # the server really is gone
            server.client().ping()

        restarted = RedisServer(tmp_path / "redis", port=server.port).start()
        run_cli("delivery-fs", "backfill-online", env=env)
        store = open_store(config_path=config)
        users, _ = raw_tables
        everyone = pd.DataFrame(
            {"user_id": users["user_id"], "event_timestamp": horizon, "request_time": horizon}
        )
        _, mismatches = online_offline_mismatches(store, everyone)
        assert not mismatches, mismatches[:5]
    finally:
        server.stop()
        if restarted:
            restarted.stop()


@pytest.mark.parametrize("kind", ["throttle", "5xx"])
def test_dynamodb_errors_are_retried_with_backoff(aws_store, moto, horizon, monkeypatch, kind):
    with ThrottlingProxy(moto.url, failures=3, kind=kind) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.url)
        monkeypatch.setenv("AWS_RETRY_MODE", "standard")
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "5")
        store = _fresh(aws_store)
        end = horizon.to_pydatetime()
        with online_store_errors(store):
            store.materialize(end - timedelta(days=400), end, feature_views=["user_profile"])
        assert proxy.rejected == 3 and proxy.forwarded >= 1
        one = store.get_online_features(
            features=["user_profile:service_type"], entity_rows=[{"user_id": 112312}]
        ).to_dict()
        assert one["service_type"][0] in ("normal", "premium")


def test_dynamodb_errors_without_retries_fail_clearly(aws_store, moto, horizon, monkeypatch):
    with ThrottlingProxy(moto.url, failures=1) as proxy:
        monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", proxy.url)
        monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
        store = _fresh(aws_store)
        end = horizon.to_pydatetime()
        with pytest.raises(OnlineStoreError) as raised, online_store_errors(store):
            store.materialize(end - timedelta(days=400), end, feature_views=["user_profile"])
    assert f"DynamoDB at {proxy.url}" in str(raised.value)
    assert "ThrottlingException" in str(raised.value)


def _fresh(store):
    """A new store on the same configuration: a new botocore client that reads the environment."""
    from feast import FeatureStore

    return FeatureStore(config=store.config)
