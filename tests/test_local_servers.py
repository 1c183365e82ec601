"""The bench's and the tests' HTTP servers (``devtools.local_servers.http_server``): with uvicorn's
``--workers N`` the block starts once all N workers have started, not when the first answers."""

from __future__ import annotations

import time

from devtools.local_servers import free_port, http_server
from tests.started_workers_app import SLOW_START_SECONDS


def _command(port: int, workers: int) -> list[str]:
    return ["uvicorn", "tests.started_workers_app:app", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(workers)]  # fmt: skip


def test_every_worker_has_started_when_the_server_is_handed_over(tmp_path):
    port = free_port()
    begin = time.monotonic()
    with http_server(_command(port, 2), port, env={"STARTED_DIR": str(tmp_path)}):
        waited = time.monotonic() - begin
        started = {p.name for p in tmp_path.iterdir() if p.name != "first"}
    assert len(started) == 2 and all(name.isdigit() for name in started)
    assert waited >= SLOW_START_SECONDS  # the slow worker was waited for


def test_one_worker_is_handed_over_once_it_answers(tmp_path):
    port = free_port()
    with http_server(_command(port, 1), port, env={"STARTED_DIR": str(tmp_path)}):
        started = {p.name for p in tmp_path.iterdir() if p.name != "first"}
    assert len(started) == 1
