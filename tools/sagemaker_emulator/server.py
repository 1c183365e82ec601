"""The emulator's HTTP server: both SageMaker protocols on one loopback port, plus a small control API.

Control API (not AWS's): ``POST /_emulator/faults`` (JSON of ``Faults`` settings),
``GET /_emulator/stats`` (calls per operation), ``POST /_emulator/reset-stats``,
``POST /_emulator/flush`` (write buffered offline records to S3 now).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sagemaker_emulator.faults import Faults
from sagemaker_emulator.feature_groups import FeatureGroupRegistry
from sagemaker_emulator.model_validation import validation_message, violations
from sagemaker_emulator.offline_writer import OfflineWriter
from sagemaker_emulator.protocols import (
    CONTROL_SERVICE,
    ApiError,
    ApiRequest,
    failure,
    parse_request,
    success,
)
from sagemaker_emulator.records import RecordStore

LOOPBACK = "127.0.0.1"
VALIDATION_CODES = {CONTROL_SERVICE: "ValidationException"}


@dataclass
class Emulator:
    """Everything one emulated account holds, and how each operation is answered."""

    faults: Faults
    registry: FeatureGroupRegistry
    records: RecordStore
    offline: OfflineWriter

    @classmethod
    def create(
        cls, s3_endpoint: str | None, region: str, faults: Faults, flush_seconds: float = 2.0
    ) -> Emulator:
        registry = FeatureGroupRegistry(faults)
        offline = OfflineWriter(s3_endpoint, region, flush_seconds)
        registry.on_create.append(offline.check_bucket)
        return cls(faults, registry, RecordStore(registry, offline), offline)

    def handlers(
        self, request: ApiRequest
    ) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        registry, records = self.registry, self.records
        return {
            "CreateFeatureGroup": lambda p: registry.create(p, request.region),
            "DescribeFeatureGroup": registry.describe,
            "ListFeatureGroups": registry.list,
            "UpdateFeatureGroup": registry.update,
            "DeleteFeatureGroup": registry.delete,
            "UpdateFeatureMetadata": registry.update_feature_metadata,
            "DescribeFeatureMetadata": registry.describe_feature_metadata,
            "AddTags": registry.add_tags,
            "ListTags": registry.list_tags,
            "DeleteTags": registry.delete_tags,
            "PutRecord": records.put,
            "GetRecord": records.get,
            "BatchGetRecord": records.batch_get,
            "DeleteRecord": records.delete,
        }

    def answer(self, request: ApiRequest) -> dict[str, Any]:
        name = request.operation.name
        self.faults.before_call(name, request.access_key)
        handler = self.handlers(request).get(name)
        if handler is None:
            raise ApiError(
                "UnknownOperationException", f"{name} is not implemented by this emulator", 400
            )
        problems = violations(request.operation.input_shape, request.params)
        if problems:
            code = VALIDATION_CODES.get(request.service, "ValidationError")
            raise ApiError(code, validation_message(problems))
        return handler(request.params)

    def control(self, method: str, path: str, body: bytes) -> dict[str, Any]:
        if method == "GET" and path == "/_emulator/stats":
            return {**self.faults.stats(), "offline_objects": self.offline.written_objects}
        if method == "POST" and path == "/_emulator/faults":
            try:
                self.faults.configure(json.loads(body or b"{}"))
            except ValueError as error:
                raise ApiError("BadRequest", str(error)) from error
            return {}
        if method == "POST" and path == "/_emulator/reset-stats":
            self.faults.reset_stats()
            return {}
        if method == "POST" and path == "/_emulator/flush":
            return {"records": self.offline.flush()}
        raise ApiError("NotFound", f"No control endpoint {method} {path}", 404)


def _handler_class(emulator: Emulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = (
            True  # with a buffered writer: one segment per answer, no delayed-ACK stalls
        )
        wbufsize = 1 << 16

        def log_message(self, format: str, *args: Any) -> None:  # quiet: one line per call is noise
            pass

        def _respond(self, status: int, headers: dict[str, str], body: bytes) -> None:
            self.send_response(status)
            for key, value in {**headers, "Content-Length": str(len(body))}.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {k.lower(): v for k, v in self.headers.items()}
            service = CONTROL_SERVICE if "x-amz-target" in headers else "runtime"
            try:
                if self.path.startswith("/_emulator/"):
                    self._respond(
                        200,
                        {"Content-Type": "application/json"},
                        json.dumps(emulator.control(self.command, self.path, body)).encode(),
                    )
                    return
                request = parse_request(self.command, self.path, headers, body)
                self._respond(*success(request, emulator.answer(request)))
            except ApiError as error:
                self._respond(*failure(service, error))
            except Exception as error:  # an emulator bug must reach the client as a 500, not a hang
                self._respond(
                    *failure(
                        service,
                        ApiError("InternalFailure", f"{type(error).__name__}: {error}", 500),
                    )
                )

        do_GET = do_PUT = do_POST = do_DELETE = _handle

    return Handler


def serve(
    emulator: Emulator, port: int, on_ready: Callable[[int], None] | None = None
) -> ThreadingHTTPServer:
    """Start the server on 127.0.0.1:``port`` (0 = a free port) in a background thread."""
    server = ThreadingHTTPServer((LOOPBACK, port), _handler_class(emulator))
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    if on_ready:
        on_ready(server.server_address[1])
    return server
