"""A second HTTP load generator beside ``wrk``: closed-loop clients on asyncio streams, each on a
keep-alive connection of its own, sending the next POST body once the previous answer is read.

It tells whether a tail ``wrk`` measures is the server's: run on the same core against the same
server, it times each request itself (from its write to the last byte of the answer) and keeps when
it was sent, so that the slowest requests can be placed in the run. Run as a program
(``python -m devtools.bench.closed_loop URL CONNECTIONS SECONDS BODIES``, one JSON body per line)
it prints one JSON summary; ``closed_loop_run`` runs it on a chosen CPU."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from devtools.bench.load import bodies_file, pinned
from devtools.bench.measure import latency_summary

SLOWEST = 5  # the slowest requests reported with when they were sent


def closed_loop_run(
    url: str, bodies: list[dict], connections: int, seconds: float, work_dir: Path,
    core: int | None = None,
) -> dict:  # fmt: skip
    """``connections`` closed-loop clients POSTing ``bodies`` in turn to ``url`` for ``seconds``
    (on CPU ``core`` alone if given): requests/s, p50/p99/max ms, errors, the slowest requests."""
    lines = bodies_file(bodies, work_dir / f"closed-loop-bodies-{connections}.jsonl")
    completed = subprocess.run(
        [*pinned(core), sys.executable, "-m", "devtools.bench.closed_loop", url,
         str(connections), str(seconds), str(lines)],
        capture_output=True, text=True,
    )  # fmt: skip
    if completed.returncode != 0:
        raise RuntimeError(f"closed-loop client against {url} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout)


async def _client(
    url: str, bodies: list[bytes], offset: int, step: int, seconds: float, start: float, sent: list
) -> int:
    """One connection's requests until ``seconds`` after ``start``: (sent at, seconds taken) appended
    to ``sent``; the number of answers that were not 2xx."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = f"POST {parts.path or '/'} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"  # fmt: skip
    errors, index = 0, offset
    try:
        while time.monotonic() - start < seconds:
            body = bodies[index % len(bodies)]
            index += step
            began = time.monotonic()
            writer.write(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)
            status = int((await reader.readline()).split()[1])
            length = 0
            while (line := await reader.readline()) not in (b"\r\n", b""):
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            sent.append((began - start, time.monotonic() - began))
            errors += not 200 <= status < 300
    finally:
        writer.close()
    return errors


async def _run(url: str, bodies: list[bytes], connections: int, seconds: float) -> dict:
    sent: list[tuple[float, float]] = []
    start = time.monotonic()
    errors = await asyncio.gather(
        *(_client(url, bodies, i, connections, seconds, start, sent) for i in range(connections))
    )
    elapsed = time.monotonic() - start
    if not sent:
        raise SystemExit(f"closed_loop: no answer from {url} in {seconds:g} s")
    summary = latency_summary([taken for _, taken in sent])
    slowest = sorted(sent, key=lambda request: request[1])[-SLOWEST:]
    return {
        "requests": summary.pop("calls"),
        "requests_per_second": len(sent) / elapsed,
        **summary,
        "errors": sum(errors),
        "slowest": [{"sent_at_s": round(at, 3), "ms": round(1000 * ms, 2)} for at, ms in slowest],
    }


def main(arguments: list[str]) -> None:
    url, connections, seconds, lines = arguments
    bodies = [line.encode() for line in Path(lines).read_text().splitlines() if line]
    print(json.dumps(asyncio.run(_run(url, bodies, int(connections), float(seconds)))))


if __name__ == "__main__":
    main(sys.argv[1:])
