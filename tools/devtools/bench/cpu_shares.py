"""Where the machine's CPU went while a figure was measured: CPU seconds per role (the scoring
service, ``wrk``, Redis, the pusher, the materialization, the bench, everything else).

A latency figure under load says how long requests waited, not why. On a machine whose cores are
all busy, a closed-loop load generator's p99 grows as the server's share of the cores shrinks, so
the share each party took is the profile that tells a slow server from a crowded machine.

Every process is sampled every ``interval`` seconds (``psutil``); a process's CPU time is counted
from its first sample in the window to its last, so a process that ends between two samples loses
at most one interval. A process belongs to the role of its nearest ancestor (itself included) whose
command line names one, so the scoring service's spawned workers count as the service.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import psutil

ROLES = {  # role: words of a command line that give it (the first role that matches wins)
    "scoring service": ("scoring_service",),
    "wrk": ("wrk",),
    "redis": ("redis-server",),
    "pusher": ("steady_push",),
    "materialize": ("materialize-incremental", "materialize"),
}
OTHER, BENCH = "other processes", "bench"


@dataclass
class CpuShares:
    """CPU seconds per role over a window of ``seconds``, on ``cores`` cores."""

    seconds: float
    cores: int
    cpu_seconds: dict[str, float]
    # per core, the time the hypervisor ran something else while this machine's work was ready
    # (``/proc/stat``'s steal): a stall that no process of the machine explains can be there
    steal_seconds: list[float] = field(default_factory=list)

    def share(self, role: str) -> float:
        """The role's part of the window's CPU capacity (0 to 1)."""
        return self.cpu_seconds.get(role, 0.0) / (self.seconds * self.cores)

    def as_dict(self) -> dict:
        return {
            "seconds": round(self.seconds, 2),
            "cores": self.cores,
            "cpu_seconds": {role: round(used, 2) for role, used in self.cpu_seconds.items()},
            "share_of_cores": {role: round(self.share(role), 3) for role in self.cpu_seconds},
            "steal_seconds_per_core": [round(steal, 3) for steal in self.steal_seconds],
        }


@dataclass
class _Seen:
    role: str
    first: float
    last: float


@dataclass
class CpuSampler:
    """Samples every process from entering the context to ``stop`` or its exit; ``shares`` then."""

    interval: float = 0.25
    roles: dict[str, tuple[str, ...]] = field(default_factory=lambda: dict(ROLES))
    _seen: dict[tuple[int, float], _Seen] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _began: float = 0.0
    _ended: float = 0.0
    _steal: tuple[list[float], list[float]] = field(default_factory=lambda: ([], []))

    def __enter__(self) -> CpuSampler:
        self._began = time.monotonic()
        self._steal = (_steal_per_core(), [])
        self._sample()  # the baseline of the processes already running
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Ends the window (again: nothing more)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._thread.join()
        self._sample()
        self._ended = time.monotonic()
        self._steal = (self._steal[0], _steal_per_core())

    def shares(self) -> CpuShares:
        used: dict[str, float] = {}
        for seen in self._seen.values():
            used[seen.role] = used.get(seen.role, 0.0) + seen.last - seen.first
        before, after = self._steal
        steal = [end - start for start, end in zip(before, after, strict=False)]
        return CpuShares(self._ended - self._began, psutil.cpu_count() or 1, used, steal)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def _sample(self) -> None:
        first_sample = not self._seen
        for process in psutil.process_iter(["create_time", "cpu_times"]):
            times = process.info["cpu_times"]
            if times is None:  # gone, or not ours to read
                continue
            key = (process.pid, process.info["create_time"])
            total = times.user + times.system
            seen = self._seen.get(key)
            if seen is None:
                # born in the window: counted from zero; running at the start: from now
                start = total if first_sample else 0.0
                self._seen[key] = _Seen(role_of(process, self.roles), start, total)
            else:
                seen.last = total


def _steal_per_core() -> list[float]:
    """Seconds of steal so far, per core (0 where the platform does not report it)."""
    return [getattr(core, "steal", 0.0) for core in psutil.cpu_times(percpu=True)]


def role_of(process: psutil.Process, roles: dict[str, tuple[str, ...]]) -> str:
    """The role of the process's nearest ancestor (itself first) whose command line names one."""
    own = os.getpid()
    try:
        lineage = [process, *process.parents()]
    except psutil.Error:
        return OTHER
    for member in lineage:
        try:
            words = " ".join(member.cmdline())
        except psutil.Error:
            continue
        for role, names in roles.items():
            if any(name in words for name in names):
                return role
        if member.pid == own:
            return BENCH
    return OTHER
