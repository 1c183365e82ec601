"""The bench's second load generator (``devtools.bench.closed_loop``) against a real uvicorn
server that counts what it served: the client's count and errors are the server's, and no request
took less than the server's fixed delay."""

from __future__ import annotations

import json
import urllib.request

from devtools.bench.closed_loop import closed_loop_run
from devtools.local_servers import free_port, http_server
from tests.counting_app import DELAY_SECONDS


def test_the_clients_count_errors_and_times_are_the_servers(tmp_path):
    port = free_port()
    command = ["uvicorn", "tests.counting_app:app", "--host", "127.0.0.1", "--port", str(port),
               "--no-access-log"]  # fmt: skip
    bodies = [{"user": 1}, {"user": 2}, {"fail": True}, {"user": 3}]
    with http_server(command, port, ready_path="/count") as url:
        run = closed_loop_run(url + "/post", bodies, 3, 1.5, tmp_path)
        with urllib.request.urlopen(url + "/count") as answer:
            served = json.loads(answer.read())
    assert run["requests"] == served["posts"] > 0
    assert run["errors"] == served["failed"] > 0
    # each request waited the server's delay; with 3 clients about 3 / delay requests a second
    assert DELAY_SECONDS * 1000 <= run["p50_ms"] <= run["p99_ms"] <= run["max_ms"]
    assert run["requests_per_second"] <= 3 / DELAY_SECONDS
    assert len(run["slowest"]) == 5
    assert max(s["ms"] for s in run["slowest"]) == round(run["max_ms"], 2)
    assert all(0 <= s["sent_at_s"] <= 1.5 for s in run["slowest"])
