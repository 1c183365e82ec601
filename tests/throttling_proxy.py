"""A tiny HTTP proxy in front of moto_server that answers the first DynamoDB calls with errors.

moto cannot throttle; this real server over HTTP can: the first ``failures`` DynamoDB requests get
the answers AWS gives (400 ThrottlingException, or 500 InternalServerError), the rest are forwarded.
"""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from devtools.local_servers import LOOPBACK

ANSWERS = {
    "throttle": (400, "com.amazonaws.dynamodb.v20120810#ThrottlingException", "Rate exceeded"),
    "5xx": (500, "com.amazonaws.dynamodb.v20120810#InternalServerError", "Internal error"),
}


class ThrottlingProxy:
    def __init__(self, upstream: str, failures: int, kind: str = "throttle"):
        self.upstream, self.failures, self.kind = upstream, failures, kind
        self.rejected = self.forwarded = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((LOOPBACK, 0), self._handler())
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self._server.server_address[1]}"

    def _reject(self) -> bool:
        with self._lock:
            if self.rejected < self.failures:
                self.rejected += 1
                return True
            self.forwarded += 1
            return False

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if self.headers.get("X-Amz-Target", "").startswith("DynamoDB") and proxy._reject():
                    status, kind, message = ANSWERS[proxy.kind]
                    return self._answer(
                        status, json.dumps({"__type": kind, "message": message}).encode(), {}
                    )
                request = urllib.request.Request(
                    proxy.upstream + self.path, data=body, method="POST",
                    headers={k: v for k, v in self.headers.items() if k.lower() != "host"},
                )  # fmt: skip
                try:
                    with urllib.request.urlopen(request, timeout=30) as response:
                        self._answer(response.status, response.read(), response.headers)
                except urllib.error.HTTPError as error:
                    self._answer(error.code, error.read(), error.headers)

            def _answer(self, status, payload, headers):
                self.send_response(status)
                self.send_header(
                    "Content-Type", headers.get("Content-Type", "application/x-amz-json-1.0")
                )
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

        return Handler

    def __enter__(self) -> ThrottlingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()
