"""Latency statistics, peak memory and the machine a run was measured on."""

from __future__ import annotations

import os
import platform
import resource
import time
from collections.abc import Callable
from typing import Any


def latency_summary(seconds: list[float]) -> dict[str, float]:
    """Median, 99th percentile and maximum in milliseconds, and the number of calls."""
    ordered = sorted(seconds)
    count = len(ordered)

    def at(quantile: float) -> float:
        return ordered[min(count - 1, int(quantile * count))] * 1000

    return {"p50_ms": at(0.5), "p99_ms": at(0.99), "max_ms": ordered[-1] * 1000, "calls": count}


def time_calls(call: Callable[[int], Any], calls: int, warm_up: int) -> dict[str, float]:
    """Run ``call(i)`` ``warm_up`` times unmeasured, then ``calls`` times, timing each call."""
    for i in range(warm_up):
        call(i)
    seconds = []
    clock = time.perf_counter
    for i in range(calls):
        start = clock()
        call(i)
        seconds.append(clock() - start)
    return latency_summary(seconds)


def peak_rss_mb() -> float:
    """The peak resident memory of this process so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


QUIET_LOAD = 1.5  # the 1-minute load average a run should start under
SETTLE_SECONDS = 300
POLL_SECONDS = 5


def wait_for_quiet_machine(
    say: Callable[[str], None],
    limit_seconds: float = SETTLE_SECONDS,
    one_minute_load: Callable[[], float] = lambda: os.getloadavg()[0],
    sleep: Callable[[float], None] = time.sleep,
) -> float:
    """Wait (up to ``limit_seconds``, polling every ``POLL_SECONDS``) for the 1-minute load average
    to fall under ``QUIET_LOAD``: ``make bench`` installs first, and the figures should not start in
    the install's wake. Returns the load it stopped at; a machine still busy is said, and the run goes on."""
    load, waited = one_minute_load(), 0.0
    if load >= QUIET_LOAD:
        say(
            f"waiting for the machine to settle: 1-minute load average {load:.2f} (starts under {QUIET_LOAD})"
        )
    while load >= QUIET_LOAD and waited < limit_seconds:
        sleep(POLL_SECONDS)
        waited += POLL_SECONDS
        load = one_minute_load()
    if load >= QUIET_LOAD:
        say(
            f"the machine is still busy after {waited:.0f} s (load {load:.2f}): figures may be slower"
        )
    return load


def machine() -> dict[str, Any]:
    """Cores, load averages and memory of the machine, at the time of the call."""
    memory = {}
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                name, value = line.split(":", 1)
                if name in ("MemTotal", "MemAvailable"):
                    memory[name] = round(int(value.split()[0]) / 1024**2, 1)
    except OSError:
        pass
    return {
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "memory_total_gb": memory.get("MemTotal"),
        "memory_available_gb": memory.get("MemAvailable"),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
