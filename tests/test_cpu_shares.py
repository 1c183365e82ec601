"""The bench's CPU sampler: CPU seconds a process reports of itself are counted to its role, and a
child without a role of its own counts to its parent's (as the scoring service's spawned workers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psutil

from devtools.bench.cpu_shares import BENCH, CpuSampler

# Words no other process on the machine has (a benchmark may be running beside the tests).
RUN = uuid.uuid4().hex
ROLES = {
    "pusher": (f"pusher-{RUN}",),
    "wrk": (f"wrk-{RUN}",),
    "materialize": (f"materialize-{RUN}",),
}

# Burns ``seconds`` of its own CPU, optionally in a child too, then prints what it measured of
# itself (and its child) and stays alive a moment so that the last sample sees the final times.
BURNER = """
import json, subprocess, sys, time
seconds, child = float(sys.argv[1]), sys.argv[2] == "child"
started = time.process_time()
spawned = subprocess.Popen([sys.executable, "-c", "import time\\nt = time.process_time()\\n"
    "while time.process_time() - t < 0.5: pass\\nprint(time.process_time())\\ntime.sleep(0.6)"],
    stdout=subprocess.PIPE, text=True) if child else None
while time.process_time() - started < seconds:
    pass
own = time.process_time()
grandchild = float(spawned.communicate()[0]) if spawned else 0.0
print(json.dumps({"own": own, "child": grandchild}), flush=True)
time.sleep(0.6)
"""


def _burn(role_word: str, seconds: float, child: bool) -> dict:
    process = subprocess.Popen(
        [sys.executable, "-c", BURNER, str(seconds), "child" if child else "alone", role_word],
        stdout=subprocess.PIPE,
        text=True,
    )
    return json.loads(process.communicate()[0])


def test_cpu_seconds_go_to_the_role_of_the_nearest_named_ancestor():
    own_before = time.process_time()
    with CpuSampler(interval=0.1, roles=ROLES) as sampler:
        pusher = _burn(ROLES["pusher"][0], 1.0, child=True)
        wrk = _burn(ROLES["wrk"][0], 0.5, child=False)
    own = time.process_time() - own_before  # this process: its waits and the sampler's thread
    shares = sampler.shares()
    reported = {"pusher": pusher["own"] + pusher["child"], "wrk": wrk["own"]}
    for role, seconds in reported.items():
        # interpreter start-up and the last sample's lag: within a tenth of a second
        assert abs(shares.cpu_seconds[role] - seconds) < 0.15, (role, shares.as_dict(), reported)
    # this test's process is the bench: its own CPU, measured by itself (not the burners')
    assert abs(shares.cpu_seconds.get(BENCH, 0.0) - own) < 0.15, (shares.as_dict(), own)
    assert 0.0 < shares.share("pusher") <= 1.0


def test_a_process_running_before_the_window_counts_only_its_time_inside():
    earlier = subprocess.Popen(
        [sys.executable, "-c", "import time\nt = time.process_time()\nwhile time.process_time() - t < 1.6: pass", ROLES["materialize"][0]]
    )  # fmt: skip
    watched = psutil.Process(earlier.pid)
    while sum(watched.cpu_times()[:2]) < 0.8:  # half of its CPU spent before the window opens
        time.sleep(0.02)
    with CpuSampler(interval=0.1, roles=ROLES) as sampler:
        earlier.wait()
    used = sampler.shares().cpu_seconds.get("materialize", 0.0)
    assert 0.3 < used < 1.0, used  # about its last 0.8 s, not its whole 1.6 s


def _proc_stat_steal() -> list[float]:
    """Each core's steal from /proc/stat itself (the 8th value of a ``cpuN`` line, in ticks)."""
    ticks = os.sysconf("SC_CLK_TCK")
    lines = Path("/proc/stat").read_text().splitlines()
    return [
        int(line.split()[8]) / ticks for line in lines if line[:3] == "cpu" and line[3].isdigit()
    ]


def test_the_windows_steal_per_core_lies_within_what_proc_stat_counted_around_it():
    outer_before = _proc_stat_steal()
    with CpuSampler() as sampler:
        _burn(f"wrk-{RUN}", 0.3, child=False)
    outer_after = _proc_stat_steal()
    steal = sampler.shares().steal_seconds
    assert len(steal) == len(outer_before) == os.cpu_count()
    for inside, before, after in zip(steal, outer_before, outer_after, strict=True):
        assert -1e-9 <= inside <= after - before + 0.011  # a tick of rounding
    assert sampler.shares().as_dict()["steal_seconds_per_core"] == [round(s, 3) for s in steal]
