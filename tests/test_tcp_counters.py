"""The bench's TCP counters (tools/devtools/bench/tcp_counters.py) read from /proc-shaped files."""

from __future__ import annotations

from devtools.bench.tcp_counters import counters_between, tcp_counters

SNMP = """Ip: Forwarding DefaultTTL
Ip: 1 64
Tcp: RtoAlgorithm RtoMin RtoMax RetransSegs InErrs
Tcp: 1 {rto} 120000 {retrans} 0
Udp: InDatagrams
Udp: 5
"""
NETSTAT = """TcpExt: SyncookiesSent TCPTimeouts ListenOverflows TCPSynRetrans
TcpExt: 0 {timeouts} {overflows} 2
IpExt: InNoRoutes
IpExt: 0
"""


def _proc(folder, retrans, timeouts, overflows, rto=200):
    folder.mkdir(exist_ok=True)
    (folder / "snmp").write_text(SNMP.format(rto=rto, retrans=retrans))
    (folder / "netstat").write_text(NETSTAT.format(timeouts=timeouts, overflows=overflows))
    return folder


def test_the_counters_and_how_much_they_moved(tmp_path):
    before = tcp_counters(_proc(tmp_path / "a", retrans=15131, timeouts=79, overflows=78))
    assert before == {"RtoMin": 200, "RetransSegs": 15131, "TCPTimeouts": 79,
                      "ListenOverflows": 78, "TCPSynRetrans": 2}  # fmt: skip
    after = tcp_counters(_proc(tmp_path / "b", retrans=15140, timeouts=82, overflows=78))
    assert counters_between(before, after) == {
        "RtoMin": 200, "RetransSegs": 9, "TCPTimeouts": 3, "ListenOverflows": 0, "TCPSynRetrans": 0
    }  # fmt: skip


def test_no_proc_files_no_counters(tmp_path):
    assert tcp_counters(tmp_path) == {}
    assert counters_between({}, {}) == {}
