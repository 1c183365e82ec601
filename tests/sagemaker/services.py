"""Real servers for the SageMaker tests: moto's S3 and our emulator, as subprocesses on 127.0.0.1."""

from __future__ import annotations

import json
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from devtools.local_servers import LOOPBACK, free_port
from devtools.local_servers import start_emulator as start_local_emulator
from tests.cli_runner import BIN_DIR, run_cli

EXPIRED_KEY = "expired-test-key"
BUCKET = "delivery-fs-test-offline"


def wait_until_listening(
    port: int, process: subprocess.Popen, what: str, timeout: float = 30
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"{what} exited with {process.returncode}: {process.stderr.read() if process.stderr else ''}"
            )
        with socket.socket() as probe:
            if probe.connect_ex((LOOPBACK, port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not listen on {LOOPBACK}:{port} within {timeout} s")


def start_moto(log: Path) -> tuple[subprocess.Popen, str]:
    """moto's server (``moto_server`` of ``moto[server]``); a missing tool fails loudly."""
    executable = BIN_DIR / "moto_server"
    assert executable.exists(), (
        f"{executable} is missing: install the dev extra (pip install -e '.[dev]')"
    )
    port = free_port()
    process = subprocess.Popen(
        [str(executable), "-H", LOOPBACK, "-p", str(port)],
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    wait_until_listening(port, process, "moto_server")
    return process, f"http://{LOOPBACK}:{port}"


def start_emulator(s3_endpoint: str, expired_key: str, log: Path) -> tuple[subprocess.Popen, str]:
    """`sagemaker-emulator --port 0`: its first line says where it listens."""
    return start_local_emulator(
        s3_endpoint, log, "--expired-access-key", expired_key,
        "--creating-describes", "2", "--flush-seconds", "3600",
    )  # fmt: skip


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()


class EmulatorControl:
    """The emulator's own control API (faults, call counts, offline flush)."""

    def __init__(self, url: str):
        self.url = url

    def _call(self, method: str, path: str, body: dict | None = None) -> dict:
        data = json.dumps(body or {}).encode() if method == "POST" else None
        request = urllib.request.Request(self.url + path, data=data, method=method)
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    def faults(self, **settings) -> None:
        self._call("POST", "/_emulator/faults", settings)

    def calls(self) -> dict[str, int]:
        return self._call("GET", "/_emulator/stats")["calls"]

    def flush(self) -> int:
        return self._call("POST", "/_emulator/flush")["records"]


def write_settings(name: str, **overrides) -> str:
    """A SageMaker settings file in the session directory: fast polling, the test bucket, ``overrides``."""
    import yaml

    from tests.conftest import SESSION_DIR

    settings = {
        "poll_seconds": 0.05,
        "create_timeout_seconds": 20,
        "offline_store": {"s3_uri": f"s3://{BUCKET}/{name}"},
        **overrides,
    }
    path = SESSION_DIR / f"sagemaker-{name}.yaml"
    path.write_text(yaml.safe_dump(settings))
    return str(path)


def sagemaker_cli(
    store_config: Path, settings: str, *args: str, check: bool = False, env: dict | None = None
):
    """`delivery-fs sagemaker ...` with a settings file and the session's feature_store.yaml."""
    return run_cli(
        "delivery-fs", "sagemaker", *args, "--config", settings, "--feature-store-yaml", str(store_config),
        check=check, env=env,
    )  # fmt: skip
