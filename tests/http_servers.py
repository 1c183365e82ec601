"""Starting HTTP servers of this environment as subprocesses on free loopback ports, for the tests."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Sequence

import requests

from feature_repo.local_servers import free_port  # noqa: F401 - re-exported for the tests
from feature_repo.paths import REPO_ROOT
from tests.cli_runner import BIN_DIR

LOOPBACK = "127.0.0.1"


@contextlib.contextmanager
def http_server(
    command: Sequence[str],
    port: int,
    ready_path: str = "/",
    env: dict | None = None,
    timeout: float = 90.0,
) -> Iterator[str]:
    """Run ``command`` (a console script of this environment and its arguments) until the block ends.

    Waits until ``GET ready_path`` answers, yields the base URL, then stops the whole process group.
    """
    process = subprocess.Popen(
        [str(BIN_DIR / command[0]), *command[1:]],
        cwd=REPO_ROOT,
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    base_url = f"http://{LOOPBACK}:{port}"
    try:
        _wait_until_ready(process, base_url + ready_path, timeout)
        yield base_url
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def _wait_until_ready(process: subprocess.Popen, url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(
                f"server exited with {process.returncode} before answering {url}:\n{output}"
            )
        with contextlib.suppress(requests.ConnectionError):
            requests.get(url, timeout=2)
            return
        time.sleep(0.3)
    raise AssertionError(f"no answer from {url} within {timeout} s")
