"""The kernel's TCP counters over a measured window (``/proc/net/snmp`` and ``/proc/net/netstat``,
the machine's, every connection's): a segment lost on loopback is sent again after the
retransmission timeout, at least ``RtoMin`` (200 ms on Linux), and a connection whose SYN found
the listen queue full tries again after a second. A load run's maximum near those figures, with
these counters moved in its window, is the kernel's retransmission, not the server's work."""

from __future__ import annotations

from pathlib import Path

PROC_NET = Path("/proc/net")
COUNTERS = {  # file: the counters read from its lines ("Tcp:", "TcpExt:")
    "snmp": ("Tcp", ("RetransSegs", "RtoMin")),
    "netstat": ("TcpExt", ("TCPTimeouts", "TCPSynRetrans", "ListenOverflows", "TCPLossProbes")),
}


def tcp_counters(proc_net: Path = PROC_NET) -> dict[str, int]:
    """The counters named in ``COUNTERS`` (those the kernel has); empty where /proc is absent."""
    found: dict[str, int] = {}
    for name, (prefix, wanted) in COUNTERS.items():
        path = proc_net / name
        if not path.exists():
            continue
        rows = [
            line.split() for line in path.read_text().splitlines() if line.startswith(prefix + ":")
        ]
        for header, values in zip(rows[::2], rows[1::2], strict=False):
            for key, value in zip(header[1:], values[1:], strict=True):
                if key in wanted:
                    found[key] = int(value)
    return found


def counters_between(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    """How much each counter moved (``RtoMin``, a setting, as it is after)."""
    return {
        key: value if key == "RtoMin" else value - before.get(key, value)
        for key, value in after.items()
    }
