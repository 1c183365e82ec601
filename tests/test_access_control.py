"""Access control end to end: an OIDC provider, Feast's three servers with the secured profile, and
one client per role, each with its own token; every answer is compared with a direct local read.

The matrix (role x operation) is the specification: what each role may do follows from
feature_repo/definitions/permissions.py, written out again here by hand.
"""

from __future__ import annotations

import time

import jwt
import pandas as pd
import pytest
import requests
from feast import FeatureStore

from devtools.oidc import new_signing_key, oidc_provider, sign, token_claims
from feature_repo.paths import REPO_ROOT
from tests.access_setup import (
    IDENTITIES,
    OTHER_AUDIENCE,
    RESOURCE,
    client_config,
    provider_setup,
    secure_servers,
    server_config,
)
from tests.cli_runner import run_cli

PERSONAL_FEATURES = {"gender", "neighborhood", "age_years"}
USERS = 8
OPERATIONS = {
    # operation -> (what it reads, the roles that may do it)
    "online non-personal view": ("user_order_stats", {"serving", "data-scientist"}),
    "online personal view": ("user_profile", {"pii-reader"}),
    "offline non-personal view": ("user_order_stats", {"data-scientist"}),
    "offline personal view": ("user_profile", {"pii-reader"}),
    "feast apply": ("feature views", {"admin"}),
}
FEATURES = {
    "user_order_stats": ["user_order_stats:order_count_30d", "user_order_stats:spend_sum_30d"],
    "user_profile": ["user_profile:gender", "user_profile:neighborhood", "user_profile:service_type"],
}
COMPASS: dict[str, dict[str, int]] = {}  # role -> tried / allowed / denied correctly / leaks


@pytest.fixture(scope="module")
def access_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("access")


@pytest.fixture(scope="module")
def provider(access_dir):
    setup = provider_setup()
    with oidc_provider(setup, access_dir / "provider") as issuer:
        yield setup, issuer


@pytest.fixture(scope="module")
def secure_store(provider, access_dir, built_data, horizon):
    """The definitions applied (with their permissions) and loaded online, with direct credentials."""
    from feature_repo.store_operations import backfill_online, open_store

    config = server_config(access_dir, provider[1])
    run_cli("feast", "-f", str(config), "apply")
    store = open_store(config_path=config)
    backfill_online(store, horizon.to_pydatetime())
    return config, store


@pytest.fixture(scope="module")
def servers(secure_store, access_dir):
    with secure_servers(secure_store[0], access_dir / "servers.log") as running:
        yield running


@pytest.fixture(scope="module")
def client_configs(servers, provider, access_dir):
    setup, issuer = provider
    return {
        name: client_config(access_dir, servers, issuer, name, setup.clients[name]["secret"])
        for name in IDENTITIES
    }


@pytest.fixture(scope="module")
def users(raw_tables):
    return raw_tables[1]["user_id"].drop_duplicates().head(USERS).tolist()


def _client(config) -> FeatureStore:
    return FeatureStore(repo_path=str(REPO_ROOT), fs_yaml_file=config)


def _online(store: FeatureStore, refs: list[str], users: list[int]) -> dict:
    return store.get_online_features(features=refs, entity_rows=[{"user_id": u} for u in users]).to_dict()


def _offline(store: FeatureStore, refs: list[str], users: list[int], horizon) -> pd.DataFrame:
    entities = pd.DataFrame({"user_id": users, "event_timestamp": horizon})
    frame = store.get_historical_features(entity_df=entities, features=refs).to_df()
    return frame.sort_values("user_id").reset_index(drop=True)


def _run(operation: str, store: FeatureStore, config, users, horizon):
    target = OPERATIONS[operation][0]
    if operation.startswith("online"):
        return _online(store, FEATURES[target], users)
    if operation.startswith("offline"):
        return _offline(store, FEATURES[target], users, horizon)
    return run_cli("feast", "-f", str(config), "apply", check=False)


def _expected(operation: str, direct: FeatureStore, users, horizon):
    target = OPERATIONS[operation][0]
    if operation.startswith("online"):
        return _online(direct, FEATURES[target], users)
    return _offline(direct, FEATURES[target], users, horizon)


def _leaks(result) -> int:
    columns = result.keys() if isinstance(result, dict) else getattr(result, "columns", [])
    return len(PERSONAL_FEATURES & set(columns))


@pytest.mark.parametrize("role", ["serving", "data-scientist", "pii-reader", "admin"])
def test_each_role_reads_and_writes_exactly_what_its_permissions_allow(
    role, client_configs, secure_store, users, horizon
):
    direct = secure_store[1]
    client = _client(client_configs[role])
    figures = COMPASS.setdefault(role, {"tried": 0, "allowed": 0, "denied": 0, "leaks": 0})
    for operation, (target, allowed_roles) in OPERATIONS.items():
        figures["tried"] += 1
        if role in allowed_roles:
            result = _run(operation, client, client_configs[role], users, horizon)
            if operation == "feast apply":
                assert result.returncode == 0, result.stdout + result.stderr
            elif operation.startswith("online"):
                assert result == _expected(operation, direct, users, horizon)
            else:
                pd.testing.assert_frame_equal(result, _expected(operation, direct, users, horizon))
            figures["allowed"] += 1
            if "pii-reader" not in IDENTITIES[role]:
                figures["leaks"] += _leaks(result)
            continue
        try:
            result = _run(operation, client, client_configs[role], users, horizon)
        except Exception as error:  # noqa: BLE001 - the denial is what is checked
            message = str(error)
        else:
            if operation != "feast apply":
                figures["leaks"] += _leaks(result)
                pytest.fail(f"{role} was allowed {operation}: {result}")
            assert result.returncode != 0, f"{role} could apply:\n{result.stdout}"
            message = result.stdout + result.stderr
        print(f"{role} / {operation}: {message[-1500:]}")
        assert "403" in message or "Permission" in message, message
        figures["denied"] += 1
    assert figures["leaks"] == 0
