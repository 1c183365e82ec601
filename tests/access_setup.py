"""Set-up of the access-control tests: an OIDC provider with one client per role, the secured
profile made concrete for a test directory, the three Feast servers, one client per identity, and
the tokens (valid and bad) that the provider and an impostor issue.
(The fixtures built on them, ``provider`` and ``secure_store``, are in tests/conftest.py.)"""

from __future__ import annotations

import contextlib
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import jwt
import requests
import yaml

from devtools.local_servers import LOOPBACK, free_port, stop_process_group
from devtools.oidc import (
    DISCOVERY_PATH,
    ProviderSetup,
    new_signing_key,
    sign,
    token_claims,
)
from feature_repo.core.paths import REPO_ROOT

RESOURCE = "feast"  # the client id whose roles Feast reads: resource_access.feast.roles
PROJECT = "delivery_access"
SECURE_PROFILE = REPO_ROOT / "profiles" / "feature_store.secure.yaml"
CLIENT_PROFILE = REPO_ROOT / "profiles" / "feature_store.secure_client.yaml"
# identity (a client at the provider) -> the roles the provider puts in its tokens
IDENTITIES = {
    "serving": ["serving"],
    "data-scientist": ["data-scientist"],
    "pii-reader": ["pii-reader"],
    "admin": ["admin"],
    "checkout-service": ["serving", "pii-reader"],
}
OTHER_AUDIENCE = "another-api"


def provider_setup() -> ProviderSetup:
    """A fresh key and secrets, made now; one client per identity and one for another API."""
    clients = {name: {"secret": secrets.token_urlsafe(24), "roles": roles}
               for name, roles in IDENTITIES.items()}  # fmt: skip
    clients["other-api-client"] = {
        "secret": secrets.token_urlsafe(24),
        "roles": ["serving", "data-scientist", "pii-reader", "admin"],
        "audience": OTHER_AUDIENCE,
    }
    return ProviderSetup(resource=RESOURCE, clients=clients)


def _filled(profile: Path, variables: dict[str, str]) -> dict:
    text = profile.read_text()
    for name, value in variables.items():
        text = text.replace(f"${{{name}}}", value)
    assert "${" not in "\n".join(line.split("#")[0] for line in text.splitlines()), text
    return yaml.safe_load(text)


def server_config(directory: Path, issuer: str) -> Path:
    """profiles/feature_store.secure.yaml for this provider, with stores in ``directory``."""
    config = _filled(SECURE_PROFILE, {
        "DELIVERY_FS_OIDC_DISCOVERY_URL": issuer + DISCOVERY_PATH,
        "DELIVERY_FS_OIDC_CLIENT_ID": RESOURCE,
        "DELIVERY_FS_OIDC_AUDIENCE": RESOURCE,
        "DELIVERY_FS_OIDC_ISSUER": issuer,
    })  # fmt: skip
    config["project"] = PROJECT
    config["registry"]["path"] = str(directory / "registry.db")
    config["online_store"]["path"] = str(directory / "online_store.db")
    path = directory / "feature_store.secure.yaml"
    path.write_text(yaml.safe_dump(config))
    return path


@dataclass(frozen=True)
class Servers:
    online_url: str
    offline_port: int
    registry_port: int


def client_config(
    directory: Path, servers: Servers, issuer: str, identity: str, secret: str
) -> Path:
    """profiles/feature_store.secure_client.yaml for one identity."""
    config = _filled(CLIENT_PROFILE, {
        "DELIVERY_FS_REGISTRY_SERVER": f"{LOOPBACK}:{servers.registry_port}",
        "DELIVERY_FS_FEATURE_SERVER": servers.online_url,
        "DELIVERY_FS_OFFLINE_SERVER_HOST": LOOPBACK,
        "DELIVERY_FS_OFFLINE_SERVER_PORT": str(servers.offline_port),
        "DELIVERY_FS_OIDC_DISCOVERY_URL": issuer + DISCOVERY_PATH,
        "DELIVERY_FS_OIDC_CLIENT_ID": identity,
        "DELIVERY_FS_OIDC_CLIENT_SECRET": secret,
    })  # fmt: skip
    config["project"] = PROJECT
    path = directory / f"client.{identity}.yaml"
    path.touch(mode=0o600)
    path.write_text(yaml.safe_dump(config))
    return path


@contextlib.contextmanager
def secure_servers(config: Path, log: Path) -> Iterator[Servers]:
    """scripts/secure_servers.py (what `make secure-servers` runs) on free loopback ports."""
    online, offline, registry = free_port(), free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if k != "INTRA_COMMUNICATION_BASE64"}
    process = subprocess.Popen(
        [sys.executable, "scripts/secure_servers.py", "--config", str(config),
         "--online-port", str(online), "--offline-port", str(offline),
         "--registry-port", str(registry)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        if "secured servers ready" not in line:
            raise RuntimeError(f"the secured servers did not start: {line!r} (see {log})")
        yield Servers(f"http://{LOOPBACK}:{online}", offline, registry)
    finally:
        stop_process_group(process, timeout=30)


def provider_token(provider, client: str) -> str:
    """A token the provider issues to ``client`` (the client-credentials grant)."""
    setup, issuer = provider
    answer = requests.post(
        f"{issuer}/token",
        data={"grant_type": "client_credentials", "client_id": client,
              "client_secret": setup.clients[client]["secret"]},
        timeout=10,
    )  # fmt: skip
    answer.raise_for_status()
    return answer.json()["access_token"]


def bad_tokens(provider) -> dict[str, str | None]:
    """Each way a token can be wrong (or missing), by name."""
    setup, issuer = provider
    claims = token_claims(issuer, "data-scientist", RESOURCE, RESOURCE, ["data-scientist"], 300)
    expired = {**claims, "iat": claims["iat"] - 3600, "exp": int(time.time()) - 120}
    other_key, other_kid = new_signing_key()
    return {
        "no token": None,
        "expired token (the provider's key)": sign(expired, setup.key, setup.kid),
        "token signed by another key (the provider's key id)": sign(claims, other_key, setup.kid),
        "token signed by an unknown key": sign(claims, other_key, other_kid),
        "token for another audience (issued by the provider)": provider_token(
            provider, "other-api-client"
        ),
        "unsigned token": jwt.encode(claims, None, algorithm="none"),
    }
