"""The soak's faults and background jobs, each recorded with the instant it happened (seconds into
the soak): Redis killed with SIGKILL and restarted, a scoring worker killed, ``build-features``
killed and run again, a push batch sent twice; ``materialize-incremental`` every minute."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from dataclasses import dataclass, field

from devtools.bench.runner import Bench
from devtools.local_servers import BIN_DIR, wait_until
from devtools.soak.processes import ScoringService, kill_redis
from feature_repo.core.paths import REPO_ROOT

# When each fault happens, as a fraction of the soak's length (the first 15 % is the quiet baseline).
# Redis is down 3 s the first time, 12 s the second (a longer outage). In the runs so far requests
# waited for Redis and were answered once it was back; an outage longer than the pusher's timeout
# would leave pushes unanswered and sent again.
SCHEDULE = (
    (0.20, "redis_killed", {"down_seconds": 3.0}),
    (0.35, "worker_killed", {}),
    (0.50, "build_killed_and_rerun", {}),
    (0.62, "batch_sent_twice", {}),
    (0.75, "redis_killed", {"down_seconds": 12.0}),
)
BUILD_KILLED_AFTER_SECONDS = 1.5  # a build of the soak's data takes a few seconds
MATERIALIZE_EVERY_SECONDS = 60.0


@dataclass
class Faults:
    """Injects the faults of ``SCHEDULE`` into running parts; ``events`` records what happened."""

    bench: Bench
    scale: float
    redis: object
    service: ScoringService
    pusher: object
    started: float
    events: list[dict] = field(default_factory=list)

    def now(self) -> float:
        return round(time.monotonic() - self.started, 3)

    def inject(self, name: str, arguments: dict) -> None:
        at = self.now()
        detail = getattr(self, name)(**arguments)
        self.events.append({"fault": name, "at": at, "done_at": self.now(), **arguments, **detail})

    def redis_killed(self, down_seconds: float) -> dict:
        begin = time.monotonic()
        self.redis = kill_redis(self.redis, down_seconds)
        return {"restart_seconds": round(time.monotonic() - begin, 3)}

    def worker_killed(self) -> dict:
        before = self.service.workers()
        killed = self.service.kill_worker()
        wait_until(lambda: len(set(self.service.workers()) - {killed}) == len(before),
                   "uvicorn to replace its killed worker", seconds=60)  # fmt: skip
        return {"killed_pid": killed, "workers_after": self.service.workers()}

    def build_killed_and_rerun(self) -> dict:
        build = subprocess.Popen(
            [str(BIN_DIR / "delivery-fs"), "build-features"], cwd=REPO_ROOT,
            env={**os.environ, **self.bench.data_env(self.scale)},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        time.sleep(BUILD_KILLED_AFTER_SECONDS)
        running = build.poll() is None
        if running:
            os.killpg(build.pid, signal.SIGKILL)
        build.wait()
        begin = time.monotonic()
        self.bench.cli(self.scale, "delivery-fs", "build-features")
        return {
            "killed_while_running": running,
            "rerun_seconds": round(time.monotonic() - begin, 1),
        }

    def batch_sent_twice(self) -> dict:
        self.pusher.send_twice.set()
        wait_until(lambda: not self.pusher.send_twice.is_set(), "the pusher to send a batch twice", seconds=30)  # fmt: skip
        return {"orders": len(self.pusher.sent_twice)}

    def materialize(self) -> dict:
        begin = time.monotonic()
        try:
            horizon = self.bench.cli(self.scale, "delivery-fs", "data-horizon").strip()
            self.bench.cli(self.scale, "feast", "materialize-incremental", horizon)
            outcome = "ok"
        except Exception as error:  # noqa: BLE001 - recorded: Redis may be down at that instant
            outcome = f"failed: {str(error).splitlines()[0]}"
        return {"at": round(begin - self.started, 3), "seconds": round(time.monotonic() - begin, 1), "outcome": outcome}  # fmt: skip


def materialize_every_minute(faults: Faults, stop: threading.Event, runs: list[dict]) -> None:
    while not stop.wait(MATERIALIZE_EVERY_SECONDS):
        runs.append(faults.materialize())
