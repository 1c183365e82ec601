"""Answers every JSON route of the scoring service may give, added to its OpenAPI document so that the
document says what the service does (the fuzzer, schemathesis, holds the service to it):

- 400 ``{"detail": "There was an error parsing the body"}``: FastAPI's answer to a body that is
  not JSON, before the route runs;
- 422 either FastAPI's list of validation errors (a body that fails the route's model) or
  ``{"detail": "<text>"}`` (a lookup the route refuses, naming the service, feature or key);
- 503 ``{"detail": ...}``: the online store is unreachable (``/score/churn``: or no model is
  loaded); the detail names it, and for ``/push-orders`` also carries each order's result.
  Nothing else answers 5xx (tests/test_api_fuzz.py).
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

TEXT_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
VALIDATION_ERRORS = {"$ref": "#/components/schemas/HTTPValidationError"}
UNAVAILABLE = {
    "type": "object",
    "properties": {"detail": {"anyOf": [{"type": "string"}, {"type": "object"}]}},
    "required": ["detail"],
}


def document_shared_answers(app: FastAPI) -> None:
    """Wrap ``app.openapi`` so that the document it builds (once) carries the shared answers."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            for operations in document.get("paths", {}).values():
                for operation in operations.values():
                    if "requestBody" in operation:
                        _add_shared_answers(operation["responses"])
        return app.openapi_schema

    app.openapi = openapi


def _add_shared_answers(responses: dict[str, Any]) -> None:
    responses.setdefault(
        "400",
        {"description": "The body is not JSON.", "content": _json(TEXT_DETAIL)},
    )
    responses.setdefault(
        "503",
        {"description": "The online store is unreachable: retry.", "content": _json(UNAVAILABLE)},
    )
    unprocessable = responses.get("422", {}).get("content", {}).get("application/json", {})
    if unprocessable.get("schema") == VALIDATION_ERRORS:
        unprocessable["schema"] = {"anyOf": [VALIDATION_ERRORS, TEXT_DETAIL]}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}
