"""The two wire protocols, read from botocore's models: JSON 1.1 (`sagemaker`) and REST-JSON (the runtime).

A request becomes ``(service, operation model, parameters)``; a result or an error becomes a status,
headers and a body that botocore parses exactly as it parses AWS's answers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import botocore.session
from botocore.model import OperationModel, ServiceModel

CONTROL_SERVICE = "sagemaker"
RUNTIME_SERVICE = "sagemaker-featurestore-runtime"
JSON_11 = "application/x-amz-json-1.1"


@lru_cache(maxsize=2)
def service_model(name: str) -> ServiceModel:
    """botocore's model of a service, as installed."""
    return botocore.session.get_session().get_service_model(name)


class ApiError(Exception):
    """An error answered to the client with AWS's code, HTTP status and message."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class ApiRequest:
    service: str
    operation: OperationModel
    params: dict[str, Any]
    access_key: str | None
    region: str


_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/\d{8}/([^/]+)/")


def signer(headers: dict[str, str]) -> tuple[str | None, str]:
    """The access key and region of a SigV4-signed request (the signature itself is not checked)."""
    found = _CREDENTIAL.search(headers.get("authorization", ""))
    return (found.group(1), found.group(2)) if found else (None, "us-east-1")


def _json_body(body: bytes) -> dict[str, Any]:
    if not body:
        return {}
    try:
        parsed = json.loads(body)
    except ValueError as error:
        raise ApiError("SerializationException", f"Request body is not JSON: {error}") from error
    if not isinstance(parsed, dict):
        raise ApiError("SerializationException", "Request body must be a JSON object")
    return parsed


def _control_request(headers: dict[str, str], body: bytes) -> tuple[OperationModel, dict]:
    model = service_model(CONTROL_SERVICE)
    target = headers.get("x-amz-target", "")
    prefix = model.metadata["targetPrefix"] + "."
    name = target[len(prefix) :] if target.startswith(prefix) else ""
    if name not in model.operation_names:
        raise ApiError("UnknownOperationException", f"Unknown operation {target!r}")
    return model.operation_model(name), _json_body(body)


@lru_cache(maxsize=1)
def _runtime_routes() -> list[tuple[str, re.Pattern, OperationModel]]:
    model = service_model(RUNTIME_SERVICE)
    routes = []
    for name in model.operation_names:
        operation = model.operation_model(name)
        template = operation.http["requestUri"].split("?")[0]
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(template))
        routes.append((operation.http["method"], re.compile(pattern + "$"), operation))
    return routes


def _runtime_request(method: str, target: str, body: bytes) -> tuple[OperationModel, dict]:
    url = urlsplit(target)
    for route_method, pattern, operation in _runtime_routes():
        found = pattern.match(url.path)
        if route_method != method or not found:
            continue
        params = _json_body(body)
        query = parse_qs(url.query, keep_blank_values=True)
        for name, member in operation.input_shape.members.items():
            location = member.serialization.get("location")
            wire_name = member.serialization.get("name", name)
            if location == "uri":
                params[name] = unquote(found.group(wire_name))
            elif location == "querystring" and wire_name in query:
                values = query[wire_name]
                params[name] = values if member.type_name == "list" else values[0]
        return operation, params
    raise ApiError("UnknownOperationException", f"No operation at {method} {url.path}", 404)


def parse_request(method: str, target: str, headers: dict[str, str], body: bytes) -> ApiRequest:
    """Which service and operation a request calls, and its parameters."""
    access_key, region = signer(headers)
    if "x-amz-target" in headers:
        operation, params = _control_request(headers, body)
        return ApiRequest(CONTROL_SERVICE, operation, params, access_key, region)
    operation, params = _runtime_request(method, target, body)
    return ApiRequest(RUNTIME_SERVICE, operation, params, access_key, region)


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"cannot encode {type(value).__name__}")


def success(request: ApiRequest, result: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    content_type = JSON_11 if request.service == CONTROL_SERVICE else "application/json"
    return 200, {"Content-Type": content_type}, json.dumps(result, default=_encode).encode()


def failure(service: str, error: ApiError) -> tuple[int, dict[str, str], bytes]:
    """An error as each protocol carries it: ``__type`` in a JSON 1.1 body, ``x-amzn-ErrorType`` in REST-JSON."""
    if service == CONTROL_SERVICE:
        body = {"__type": error.code, "message": error.message}
        return error.status, {"Content-Type": JSON_11}, json.dumps(body).encode()
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": error.code}
    return error.status, headers, json.dumps({"message": error.message}).encode()
