"""A batch job's lowest priority (tools/devtools/bench/batch_priority.py): its own session, whose
scheduling group (autogroup) and the process itself carry the nice value."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from devtools.bench.batch_priority import lower_priority

REPORT = """
import json, os
autogroup = open("/proc/self/autogroup").read() if os.path.exists("/proc/self/autogroup") else None
print(json.dumps({"pid": os.getpid(), "sid": os.getsid(0), "nice": os.nice(0), "autogroup": autogroup,
                  "idle": os.sched_getscheduler(0) == os.SCHED_IDLE}))
"""


def _child(preexec=None) -> dict:
    done = subprocess.run([sys.executable, "-c", REPORT], preexec_fn=preexec, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return json.loads(done.stdout)


def test_the_job_runs_in_a_session_and_group_of_its_own_at_the_given_nice():
    parent = _child()
    child = _child(lambda: lower_priority(19))
    assert child["sid"] == child["pid"] != parent["sid"]  # a session of its own
    assert child["nice"] == 19 and parent["nice"] == os.nice(0)
    if _shell_can_take_the_idle_policy():
        assert child["idle"] and not parent["idle"]  # run only where no other task waits
    if _shell_can_lower_its_group():
        # "/autogroup-<n> nice <k>": a group other than this session's, at nice 19
        assert child["autogroup"].split()[-2:] == ["nice", "19"]
        # the parent's record may be empty (CI's /proc read one so): its group, if named, differs
        assert child["autogroup"].split()[:1] != parent["autogroup"].split()[:1]


def _shell_can_lower_its_group() -> bool:
    """Whether this platform lets a new session set its group's nice, tried by a second means (a
    shell under ``setsid``): where it does, ``lower_priority`` must have done it too."""
    if not Path("/proc/self/autogroup").exists():
        return False
    done = subprocess.run(["setsid", "sh", "-c", "echo 19 > /proc/self/autogroup && cat /proc/self/autogroup"],
                          capture_output=True, text=True)  # fmt: skip
    return done.returncode == 0 and done.stdout.split()[-2:] == ["nice", "19"]


def _shell_can_take_the_idle_policy() -> bool:
    """Whether this platform lets a process take ``SCHED_IDLE``, tried by a second means (``chrt``
    from util-linux): where it does, ``lower_priority`` must have taken it too."""
    done = subprocess.run(["chrt", "--idle", "0", "chrt", "--pid", "0"], capture_output=True,
                          text=True)  # fmt: skip
    return done.returncode == 0
