"""Local servers for the tests and the benchmark: redis-server, a three-node Redis Cluster, moto in
server mode and the SageMaker emulator.

Each listens on a free loopback port (127.0.0.1 only), lives in its own directory and is stopped
by whoever started it (the test session, `delivery-fs-bench`). A missing program fails loudly.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import redis

from feature_repo.core.paths import REPO_ROOT

LOOPBACK = "127.0.0.1"
STARTUP_SECONDS = 20
BIN_DIR = Path(sys.executable).parent


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind((LOOPBACK, port))
        except OSError:
            return False
        return True


def free_port() -> int:
    """A free loopback TCP port, at most 55535 with port + 10000 free too (Redis Cluster's bus port)."""
    for _ in range(200):
        with socket.socket() as probe:
            probe.bind((LOOPBACK, 0))
            port = probe.getsockname()[1]
        if port <= 55535 and _port_is_free(port + 10000):
            return port
    raise RuntimeError("no free loopback port pair found for a test server")


def require_program(name: str) -> str:
    """The path of a program the tests need, this environment's own first (moto_server); fails
    (never skips) when it is missing."""
    own = BIN_DIR / name
    path = str(own) if own.exists() else shutil.which(name)
    if not path:
        raise RuntimeError(
            f"`{name}` is required by the store tests and was not found. "
            "redis-server and redis-cli: `apt-get install -y redis-server`; "
            "moto_server: `pip install -e '.[dev,redis,aws]'` (make test does it)."
        )
    return path


def wait_until(
    ready, what: str, process: subprocess.Popen | None = None, seconds: float = STARTUP_SECONDS
) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} (see its log)")
        try:
            if ready():
                return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not become ready within {seconds} s")


@dataclass
class RedisServer:
    """One redis-server process on a free loopback port, without persistence unless ``persistence``
    says otherwise (``("--appendonly", "yes", "--appendfsync", "always")``: the soak's production setting)."""

    directory: Path
    cluster: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None
    persistence: tuple[str, ...] = ("--appendonly", "no")

    @property
    def endpoint(self) -> str:
        return f"{LOOPBACK}:{self.port}"

    def client(self) -> redis.Redis:
        return redis.Redis(host=LOOPBACK, port=self.port, socket_timeout=5)

    def start(self) -> RedisServer:
        self.directory.mkdir(parents=True, exist_ok=True)
        args = [require_program("redis-server"), "--bind", LOOPBACK, "--port", str(self.port),
                "--save", "", *self.persistence, "--dir", str(self.directory)]  # fmt: skip
        if self.cluster:
            args += ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"]
        log = (self.directory / "redis.log").open("ab")
        self.process = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        wait_until(self.client().ping, f"redis-server on {self.endpoint}", self.process)
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


@dataclass
class RedisCluster:
    """Three cluster-enabled redis-server processes joined with `redis-cli --cluster create`."""

    directory: Path
    nodes: list[RedisServer] = field(default_factory=list)

    @property
    def connection_string(self) -> str:
        return ",".join(node.endpoint for node in self.nodes)

    def start(self) -> RedisCluster:
        self.nodes = [
            RedisServer(self.directory / f"node{i}", cluster=True).start() for i in range(3)
        ]
        subprocess.run(
            [require_program("redis-cli"), "--cluster", "create",
             *[node.endpoint for node in self.nodes], "--cluster-replicas", "0", "--cluster-yes"],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        wait_until(
            lambda: all(
                node.client().cluster("info")["cluster_state"] == "ok" for node in self.nodes
            ),
            f"Redis Cluster {self.connection_string}",
        )
        return self

    def key_count(self) -> int:
        return sum(node.client().dbsize() for node in self.nodes)

    def stop(self) -> None:
        for node in self.nodes:
            node.stop()


@dataclass
class MotoServer:
    """moto in server mode: S3 and DynamoDB over HTTP, as AWS would answer them."""

    directory: Path
    port: int = field(default_factory=free_port)
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def start(self) -> MotoServer:

        import urllib.request

        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / f"moto-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [require_program("moto_server"), "-H", LOOPBACK, "-p", str(self.port)],
            stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **self.env},
        )  # fmt: skip
        wait_until(
            lambda: urllib.request.urlopen(f"{self.url}/moto-api/", timeout=2).status == 200,
            f"moto_server on {self.url}",
            self.process,
        )
        return self

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a loaded machine: do not leave it running
                self.process.kill()
                self.process.wait(timeout=10)


def start_emulator(
    s3_endpoint: str, log: Path, *extra_args: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """`sagemaker-emulator --port 0 ...`: its first line says where it listens."""
    process = subprocess.Popen(
        [str(BIN_DIR / "sagemaker-emulator"), "--port", "0",
         "--s3-endpoint", s3_endpoint, *extra_args],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=log.open("w"), text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    first_line = process.stdout.readline()
    if "listening on http://127.0.0.1:" not in first_line:
        process.kill()
        raise RuntimeError(f"the SageMaker emulator did not start: {first_line!r} (see {log})")
    return process, first_line.split("listening on ")[1].strip()


@contextlib.contextmanager
def http_server(
    command: Sequence[str],
    port: int,
    ready_path: str = "/",
    env: dict | None = None,
    timeout: float = 90.0,
    log: Path | None = None,
    prefix: Sequence[str] = (),
) -> Iterator[str]:
    """Run ``command`` (a console script of this environment and its arguments) until the block ends;
    ``prefix`` goes before it (``taskset -c 0``: the server on one CPU).

    Waits until ``GET ready_path`` answers and, for uvicorn's ``--workers N``, until all N workers
    have started (one answering while the others still import left a bench's first window measuring
    one worker: half the cores idle), yields the base URL, then stops the whole process group.
    The server's output goes to a file (``log``, or a temporary one), not a pipe: a pipe nobody
    reads fills up after some hundred access-log lines and the server then blocks on its next write.
    """
    with open(log, "w+") if log else tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            [*prefix, str(BIN_DIR / command[0]), *command[1:]],
            cwd=REPO_ROOT,
            env={**os.environ, **(env or {})},
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        base_url = f"http://{LOOPBACK}:{port}"
        try:
            deadline = time.monotonic() + timeout
            _wait_until_answering(process, base_url + ready_path, timeout, output)
            _wait_for_workers(process, _workers_of(command), deadline, output)
            yield base_url
        finally:
            stop_process_group(process, timeout=15)


def stop_process_group(process: subprocess.Popen, timeout: float) -> None:
    """SIGTERM to the process's whole group (started with ``start_new_session``), SIGKILL after ``timeout``."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


WORKER_STARTED = "Application startup complete."  # uvicorn's line, once per worker


def _workers_of(command: Sequence[str]) -> int:
    """The worker processes ``command`` starts (uvicorn's ``--workers``; 1 without it)."""
    arguments = list(command)
    if "--workers" in arguments[:-1]:
        return int(arguments[arguments.index("--workers") + 1])
    return 1


def _wait_for_workers(
    process: subprocess.Popen, workers: int, deadline: float, log: IO[str]
) -> None:
    """Until the server's output shows ``workers`` started workers (nothing to wait for with one:
    it has answered)."""
    while workers > 1:
        output = _output_so_far(log)
        if output.count(WORKER_STARTED) >= workers:
            return
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"{output.count(WORKER_STARTED)} of {workers} workers started (the server's "
                f"output says '{WORKER_STARTED}' once per worker):\n{output[-3000:]}"
            )
        time.sleep(0.1)


def _output_so_far(log: IO[str]) -> str:
    """What the server wrote to ``log``, read without moving the file's offset, which the server
    shares (a seek would make its next line overwrite the start)."""
    descriptor = log.fileno()
    return os.pread(descriptor, os.fstat(descriptor).st_size, 0).decode(errors="replace")


def _wait_until_answering(
    process: subprocess.Popen, url: str, timeout: float, log: IO[str]
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            output = log.read()
            raise RuntimeError(
                f"server exited with {process.returncode} before answering {url}:\n{output}"
            )
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except urllib.error.HTTPError:
            return  # it answers, whatever the status
        except (OSError, ValueError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"no answer from {url} within {timeout} s")
