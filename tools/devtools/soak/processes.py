"""The soak's processes: Redis as production runs it (AOF, fsync on every write), the scoring service
(uvicorn, two workers) and the store's commands, on a store prepared as the push figures prepare theirs."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from devtools.bench.runner import Bench
from devtools.local_servers import LOOPBACK, RedisServer, free_port, wait_until

# "No acknowledged write lost" needs every write on disk before Redis answers it.
DURABLE = ("--appendonly", "yes", "--appendfsync", "always")


def durable_redis(directory: Path) -> RedisServer:
    """A redis-server with an append-only file fsynced on every write (restarted on the same port
    and directory, it reloads what it acknowledged)."""
    server = RedisServer(directory, port=free_port(), persistence=DURABLE)
    return server.start()


def kill_redis(server: RedisServer, down_seconds: float) -> RedisServer:
    """SIGKILL (no shutdown, no final save), ``down_seconds`` without Redis (as a real restart
    takes), then the same server started again: the same object, so that the soak's ``stop`` at
    the end stops the restarted process too (a new object left it running)."""
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=10)
    time.sleep(down_seconds)
    return server.start()


@dataclass
class ScoringService:
    """``uvicorn ... --workers 2`` in its own process group; its log goes to a file."""

    process: subprocess.Popen
    url: str

    def workers(self) -> list[int]:
        """The worker processes' ids: the supervisor's children started by multiprocessing's
        ``spawn_main`` (not its resource tracker)."""
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        )
        return [int(pid) for pid in found.stdout.split() if _is_worker(int(pid))]

    def kill_worker(self) -> int:
        """SIGKILL to one worker (uvicorn's supervisor starts another); the killed id."""
        worker = self.workers()[0]
        os.kill(worker, signal.SIGKILL)
        return worker


def start_service(bench: Bench, scale: float, log: Path) -> ScoringService:
    from devtools.local_servers import BIN_DIR
    from feature_repo.core.paths import REPO_ROOT

    port = free_port()
    command = [str(BIN_DIR / "uvicorn"), "feature_repo.serving.service.scoring_service:app",
               "--host", LOOPBACK, "--port", str(port), "--workers", "2", "--no-access-log"]  # fmt: skip
    process = subprocess.Popen(
        command, cwd=REPO_ROOT, env={**os.environ, **bench.data_env(scale)},
        stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    url = f"http://{LOOPBACK}:{port}"
    wait_until(lambda: _answers(url + "/docs"), f"the scoring service on {url}", process, 120)
    return ScoringService(process, url)


def _is_worker(pid: int) -> bool:
    try:
        return b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # exited meanwhile
        return False


def _answers(url: str) -> bool:
    import urllib.request

    return urllib.request.urlopen(url, timeout=2).status == 200
