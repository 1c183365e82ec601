"""HTTP load with ``wrk`` (Debian's package): POST bodies from a Lua script, latency percentiles,
throughput and errors parsed from its report. Loopback only.

The script's ``done`` also prints the 99.9th and 99.99th percentiles (``tail`` lines): they tell a
maximum that is one stall (the tail percentiles near p99) from a tail of many slow answers."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

SCRIPT = """
local bodies = {}
for line in io.lines("%s") do bodies[#bodies + 1] = line end
local i = 0
request = function()
  i = i %% #bodies + 1
  return wrk.format("POST", "/get-online-features", {["Content-Type"] = "application/json"}, bodies[i])
end
done = function(summary, latency, requests)
  for _, p in ipairs({99.9, 99.99}) do
    io.write(string.format("tail %%g %%d\\n", p, latency:percentile(p)))
  end
end
"""
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def wrk_run(
    url: str,
    bodies: list[dict],
    connections: int,
    seconds: int,
    work_dir: Path,
    core: int | None = None,
) -> dict:
    """``wrk`` with ``connections`` clients for ``seconds`` (on CPU ``core`` alone if given);
    requests/s, p50/p99/max ms, errors."""
    program = shutil.which("wrk")
    if not program:
        raise RuntimeError("`wrk` is needed for the HTTP load figures: apt-get install -y wrk")
    lines = bodies_file(bodies, work_dir / f"wrk-bodies-{connections}-{seconds}-{core}.jsonl")
    script = lines.with_suffix(".lua")
    script.write_text(SCRIPT % lines)
    threads = min(2, connections)
    report = subprocess.run(
        [*pinned(core), program, f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "--timeout", "10s", "-s", str(script), url],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return parse_wrk(report)


def bodies_file(bodies: list[dict], path: Path) -> Path:
    """``bodies`` written to ``path``, one JSON document per line (what the load generators read)."""
    path.write_text("\n".join(json.dumps(b) for b in bodies) + "\n")
    return path


def pinned(core: int | None) -> list[str]:
    """The command prefix that runs a program on CPU ``core`` alone (``taskset``, util-linux);
    nothing for ``None``."""
    if core is None:
        return []
    program = shutil.which("taskset")
    if not program:
        raise RuntimeError(
            "`taskset` is needed for the pinned HTTP load figures: apt-get install -y util-linux"
        )
    return [program, "-c", str(core)]


def parse_wrk(report: str) -> dict:
    """requests/s, requests, p50/p99/max ms (and p99.9/p99.99 ms when the script printed them), errors."""
    latency = re.search(r"^\s+Latency\s+(\S+)\s+(\S+)\s+(\S+)", report, re.M)
    tails = {
        f"p{p.replace('.', '')}_ms": int(us) / 1000
        for p, us in re.findall(r"^tail (\S+) (\d+)$", report, re.M)
    }
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", report, re.M))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report
    )
    return {
        "requests_per_second": float(re.search(r"Requests/sec:\s+(\S+)", report).group(1)),
        "requests": int(re.search(r"(\d+) requests in", report).group(1)),
        "p50_ms": _ms(percentiles["50"]),
        "p99_ms": _ms(percentiles["99"]),
        "max_ms": _ms(latency.group(3)),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0)
        + (sum(int(n) for n in sockets.groups()) if sockets else 0),
        **tails,
    }


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]
