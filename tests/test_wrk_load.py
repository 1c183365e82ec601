"""The bench's wrk script posts the given bodies and reports its tail: run against a loopback
server that answers every 20th POST 60 ms late and counts what it was sent."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devtools.bench.load import wrk_run

SLOW_EVERY, SLOW_SECONDS = 20, 0.06


class _Counting(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    posts: list[dict] = []

    def do_POST(self):  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.posts.append(body)
        if len(self.posts) % SLOW_EVERY == 0:
            time.sleep(SLOW_SECONDS)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def test_wrk_posts_the_bodies_and_reports_the_tail_percentiles(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    bodies = [{"user_id": [n]} for n in range(5)]
    try:
        report = wrk_run(
            f"http://127.0.0.1:{server.server_port}/get-online-features", bodies, 1, 2, tmp_path
        )
    finally:
        server.shutdown()
    posts = _Counting.posts
    assert report["errors"] == 0 and abs(report["requests"] - len(posts)) <= 1
    first = bodies.index(posts[0])  # wrk asks its script for one request before it starts
    assert posts == [bodies[(first + k) % len(bodies)] for k in range(len(posts))]  # in turn
    # one answer in 20 is 60 ms late: p99, p99.9 and the maximum are at least that; p50 is not
    assert report["p50_ms"] < SLOW_SECONDS * 1000 <= report["p99_ms"]
    assert SLOW_SECONDS * 1000 <= report["p999_ms"] <= report["p9999_ms"] <= report["max_ms"] + 0.01
