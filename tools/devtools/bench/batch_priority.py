"""A batch job's lowest CPU priority beside serving, as the kernel applies it.

With autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled`` = 1, the default of most
distributions), the scheduler first shares the cores between sessions, then between the processes
of a session by their nice values. ``nice`` alone only orders a job against its own session: the
bench's day of materialization at ``nice`` 19 still took 5.4 of the 40 CPU seconds of the mixed
window, as much as an equal group could. So the job gets a session of its own, that session's
group the same nice (``/proc/self/autogroup``), and the process its nice.

Even so, at nice 19 in a group of its own, it took 4.9 of a busy window's 40 CPU seconds on a slower
day: a waking service worker does not always preempt it at once. The job's scheduling policy is
then ``SCHED_IDLE`` (``chrt --idle 0``): the kernel runs it only where no other task waits, and a
waking task of any other policy preempts it at once.
"""

from __future__ import annotations

import contextlib
import os

AUTOGROUP = "/proc/self/autogroup"


def lower_priority(niceness: int) -> None:
    """In a child process before it runs its program (``preexec_fn``): a session of its own whose
    scheduling group, and the process, have ``niceness``, and whose policy is ``SCHED_IDLE``
    (inherited by its threads and children). Only system calls: safe between fork and exec in a
    parent with threads."""
    os.setsid()
    try:
        descriptor = os.open(AUTOGROUP, os.O_WRONLY)
    except OSError:  # no autogroup (kernel without it): sessions are not scheduled apart
        pass
    else:
        try:
            os.write(descriptor, str(niceness).encode())
        except OSError:  # refused (a container's /proc): the process's own nice still applies
            pass
        finally:
            os.close(descriptor)
    os.nice(niceness)
    with contextlib.suppress(OSError):  # refused (a seccomp profile): the nice values still apply
        os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
