"""Access control end to end: an OIDC provider, Feast's three servers with the secured profile, and
one client per role, each with its own token; every answer is compared with a direct local read.

The matrix (role x operation) is the specification: what each role may do follows from
feature_repo/definitions/permissions.py, written out again here by hand. (Longer than our usual
module: the role matrix, the token tests and the scoring service share one set of servers, which
module-scoped fixtures start once; set-up helpers live in tests/access_setup.py. The scoring
service's routes are tested in tests/test_scoring_access.py.)
"""

from __future__ import annotations

import jwt
import pandas as pd
import pytest
import requests
from feast import FeatureStore

from feature_repo.core.paths import REPO_ROOT
from tests.access_setup import (
    IDENTITIES,
    OTHER_AUDIENCE,
    bad_tokens,
    client_config,
    provider_token,
    secure_servers,
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
    "online checkout_model_v1 service": ("checkout_model_v1", {"pii-reader"}),
    # apply writes the view's source first: that is the registry server's first refusal
    "registry update (apply user_order_stats)": ("user_order_stats_source", {"admin"}),
    "feast apply": ("user_order_stats_source", {"admin"}),
}
FEATURES = {
    "user_order_stats": ["user_order_stats:order_count_30d", "user_order_stats:spend_sum_30d"],
    "user_profile": [
        "user_profile:gender",
        "user_profile:neighborhood",
        "user_profile:service_type",
    ],
}
ON_DEMAND_AND_REQUEST = {"request_time", "cart_amount", "tenure_days", "days_since_last_order",
                         "cart_amount_vs_mean_30d", "cart_amount_minus_mean_30d"}  # fmt: skip
COMPASS: dict[str, dict[str, int]] = {}  # role -> tried / allowed / denied correctly / leaks


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
    return store.get_online_features(
        features=refs, entity_rows=[{"user_id": u} for u in users]
    ).to_dict()


def _offline(store: FeatureStore, refs: list[str], users: list[int], horizon) -> pd.DataFrame:
    entities = pd.DataFrame({"user_id": users, "event_timestamp": horizon})
    frame = store.get_historical_features(entity_df=entities, features=refs).to_df()
    return frame.sort_values("user_id").reset_index(drop=True)


def _run(operation: str, store: FeatureStore, config, users, horizon):
    target = OPERATIONS[operation][0]
    if operation.endswith("service"):
        remote = store.config.online_store.type == "remote"  # JSON: request_time as ISO text
        when = horizon.isoformat() if remote else horizon.to_pydatetime()
        rows = [{"user_id": u, "request_time": when, "cart_amount": 30.0} for u in users]
        answer = store.get_online_features(store.get_feature_service(target), rows).to_dict()
        return {k: v for k, v in answer.items() if k not in ON_DEMAND_AND_REQUEST}
    if operation.startswith("registry update"):
        from feature_repo.definitions.user_features import user_order_stats

        return store.apply([user_order_stats])
    if operation.startswith("online"):
        return _online(store, FEATURES[target], users)
    if operation.startswith("offline"):
        return _offline(store, FEATURES[target], users, horizon)
    return run_cli("feast", "-f", str(config), "apply", check=False)


def _expected(operation: str, direct: FeatureStore, users, horizon):
    target = OPERATIONS[operation][0]
    if operation.endswith("service"):
        return _run(operation, direct, None, users, horizon)
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
            elif operation.startswith("registry update"):
                assert client.get_feature_view("user_order_stats").name == "user_order_stats"
            elif operation.startswith("online"):
                assert result and result == _expected(operation, direct, users, horizon)
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
            if operation != "feast apply":  # a registry update returns None only when allowed
                figures["leaks"] += _leaks(result)
                pytest.fail(f"{role} was allowed {operation}: {result}")
            assert result.returncode != 0, f"{role} could apply:\n{result.stdout}"
            message = result.stdout + result.stderr
        denial = message[message.find("Permission error") :]
        assert f":{target}:" in denial, message  # names the resource ...
        assert any(f"'{r}'" in denial for r in allowed_roles), message  # ... and the role it needs
        figures["denied"] += 1
    assert figures["leaks"] == 0


def _online_request(servers, user: int, token: str | None) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.post(
        f"{servers.online_url}/get-online-features",
        json={"features": FEATURES["user_order_stats"], "entities": {"user_id": [user]}},
        headers=headers,
        timeout=30,
    )


def test_feature_server_rejects_missing_expired_forged_and_foreign_tokens(servers, provider, users):
    valid = _online_request(servers, users[0], provider_token(provider, "data-scientist"))
    assert valid.status_code == 200, valid.text
    assert (
        OTHER_AUDIENCE
        in jwt.decode(
            provider_token(provider, "other-api-client"), options={"verify_signature": False}
        )["aud"]
    )
    for case, token in bad_tokens(provider).items():
        answer = _online_request(servers, users[0], token)
        assert answer.status_code == 401, f"{case}: {answer.status_code} {answer.text}"
        assert "order_count_30d" not in answer.text


def test_registry_server_rejects_the_same_tokens(servers, provider, access_dir):
    """Feast 0.67's gRPC registry server refuses them with a bare UNKNOWN "Error in service handler!"
    (its auth interceptor's exception is not mapped to UNAUTHENTICATED); a valid token is served."""
    import grpc
    import yaml

    from tests.access_setup import PROJECT

    def list_views(token: str, number: int) -> list:
        config = access_dir / f"token-{number}.yaml"
        config.write_text(yaml.safe_dump({
            "project": PROJECT, "provider": "local", "entity_key_serialization_version": 3,
            "registry": {"registry_type": "remote", "path": f"127.0.0.1:{servers.registry_port}"},
            "online_store": {"type": "remote", "path": servers.online_url},
            "auth": {"type": "oidc", "token": token},
        }))  # fmt: skip
        return FeatureStore(repo_path=str(REPO_ROOT), fs_yaml_file=config).list_feature_views()

    valid = list_views(provider_token(provider, "data-scientist"), 0)
    assert {v.name for v in valid} >= {"user_profile", "user_order_stats"}
    for number, (case, token) in enumerate(bad_tokens(provider).items(), start=1):
        if token is None:
            continue  # Feast's client always sends a token; the feature server test covers none
        with pytest.raises(grpc.RpcError) as raised:
            list_views(token, number)
        assert raised.value.code() in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.UNKNOWN), (
            f"{case}: {raised.value}"
        )


@pytest.mark.integration  # it reads what the role tests (all integration) recorded
def test_compass_figures():
    """Printed for the record: requests tried per role, correct denials, personal-data leaks."""
    assert COMPASS, "run with the role tests"
    for role, figures in COMPASS.items():
        print(f"compass {role}: {figures}")
    assert sum(f["leaks"] for f in COMPASS.values()) == 0


def test_offline_server_rejects_the_same_tokens(servers, provider, access_dir, users, horizon):
    """The definitions come from the registry file here, so only the offline server judges the token."""
    import yaml

    from tests.access_setup import PROJECT

    def training_rows(token: str, number: int) -> pd.DataFrame:
        config = access_dir / f"offline-token-{number}.yaml"
        config.write_text(yaml.safe_dump({
            "project": PROJECT, "provider": "local", "entity_key_serialization_version": 3,
            "registry": {"registry_type": "file", "path": str(access_dir / "registry.db")},
            "online_store": {"type": "remote", "path": servers.online_url},
            "offline_store": {"type": "remote", "host": "127.0.0.1", "port": servers.offline_port},
            "auth": {"type": "oidc", "token": token},
        }))  # fmt: skip
        store = FeatureStore(repo_path=str(REPO_ROOT), fs_yaml_file=config)
        return _offline(store, FEATURES["user_order_stats"], users, horizon)

    valid = training_rows(provider_token(provider, "data-scientist"), 0)
    assert len(valid) == len(users) and "order_count_30d" in valid.columns
    for number, (case, token) in enumerate(bad_tokens(provider).items(), start=1):
        if token is None:
            continue
        with pytest.raises(Exception) as raised:  # noqa: B017 - Arrow Flight's error classes vary
            training_rows(token, number)
        assert "Invalid token" in str(raised.value), f"{case}: {raised.value}"
