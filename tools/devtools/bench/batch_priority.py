"""A batch job's lowest CPU priority beside serving, as the kernel applies it.

With autogroup scheduling (``/proc/sys/kernel/sched_autogroup_enabled`` = 1, the default of most
distributions), the scheduler first shares the cores between sessions, then between the processes
of a session by their nice values. ``nice`` alone only orders a job against its own session: the
bench's day of materialization at ``nice`` 19 still took 5.4 of the 40 CPU seconds of the mixed
window, as much as an equal group could. So the job gets a session of its own, that session's
group the same nice (``/proc/self/autogroup``), and the process its nice.
"""

from __future__ import annotations

import os

AUTOGROUP = "/proc/self/autogroup"


def lower_priority(niceness: int) -> None:
    """In a child process before it runs its program (``preexec_fn``): a session of its own whose
    scheduling group, and the process, have ``niceness``. Only system calls: safe between fork
    and exec in a parent with threads."""
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
