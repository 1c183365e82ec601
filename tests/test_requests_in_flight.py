"""The middleware's count of requests in flight (``service_metrics.RequestsInFlight``): busy while
a request is being answered, idle once none is, whatever the request's end."""

from __future__ import annotations

import asyncio

import pytest

from feature_repo.serving.service.service_metrics import RequestMetrics, RequestsInFlight


def _call(middleware: RequestMetrics, path: str) -> None:
    scope = {"type": "http", "method": "GET", "path": path}

    async def receive():
        return {"type": "http.request", "body": b""}

    async def send(message):
        return None

    asyncio.run(middleware(scope, receive, send))


def test_the_service_is_busy_exactly_while_requests_are_answered():
    in_flight = RequestsInFlight()
    seen: list[tuple[int, bool]] = []

    async def app(scope, receive, send):
        seen.append((in_flight.count, in_flight.idle.is_set()))
        if scope["path"] == "/nested":  # a second request while the first is answered
            await RequestMetrics(app, in_flight)({**scope, "path": "/inner"}, receive, send)
            seen.append((in_flight.count, in_flight.idle.is_set()))
        if scope["path"] == "/fails":
            raise RuntimeError("the route failed")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    middleware = RequestMetrics(app, in_flight)
    assert in_flight.idle.is_set() and in_flight.count == 0
    _call(middleware, "/one")
    _call(middleware, "/nested")
    with pytest.raises(RuntimeError):
        _call(middleware, "/fails")
    assert seen == [(1, False), (1, False), (2, False), (1, False), (1, False)]
    assert in_flight.count == 0 and in_flight.idle.is_set()
