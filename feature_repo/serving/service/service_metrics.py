"""The scoring service's Prometheus metrics, and the middleware that counts and times every request.

- ``scoring_requests_total{route, method, status}``: answered requests (``route`` is the route's
  path template; a path the service does not know is ``other``, so labels stay few).
- ``scoring_request_duration_seconds{route, method}``: time to the end of the answer.
- ``scoring_online_store_errors_total{route}``: answers 503, i.e. the online store could not be
  reached (on ``/score/churn`` also: no churn model loaded).
- ``scoring_pushed_orders_total{status}``: pushed orders by result (applied, duplicate, late,
  rejected, failed).

With ``PROMETHEUS_MULTIPROC_DIR`` set before the workers start, each worker writes its values to
files there and ``/metrics`` adds them up over the workers (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable

from prometheus_client import REGISTRY as PROCESS_REGISTRY
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from feature_repo.push.results import OrderResult

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
OTHER_ROUTE = "other"
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)

REQUESTS = Counter(
    "scoring_requests", "Answered requests.", ["route", "method", "status"]
)  # fmt: skip
LATENCY = Histogram(
    "scoring_request_duration_seconds", "Time to answer a request.", ["route", "method"],
    buckets=LATENCY_BUCKETS,
)  # fmt: skip
STORE_ERRORS = Counter(
    "scoring_online_store_errors", "Requests answered 503: the online store unreachable.", ["route"]
)
PUSHED_ORDERS = Counter("scoring_pushed_orders", "Pushed orders by result.", ["status"])


class RequestsInFlight:
    """How many HTTP requests this process is answering; ``idle`` is set while none (background
    work such as the served-feature log's flush waits for it, so that it runs between requests).
    Changed on the event loop's thread only."""

    def __init__(self) -> None:
        self.count = 0
        self.idle = threading.Event()
        self.idle.set()

    def started(self) -> None:
        self.count += 1
        if self.count == 1:
            self.idle.clear()

    def ended(self) -> None:
        self.count -= 1
        if self.count == 0:
            self.idle.set()


IN_FLIGHT = RequestsInFlight()


def count_pushes(results: Iterable[OrderResult]) -> None:
    for result in results:
        PUSHED_ORDERS.labels(status=str(result.status)).inc()


class RequestMetrics:
    """ASGI middleware: counts and times each HTTP request by route template, method and status,
    and keeps ``in_flight`` (the requests being answered) current."""

    def __init__(self, app, in_flight: RequestsInFlight = IN_FLIGHT) -> None:
        self.app = app
        self.in_flight = in_flight

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        began, status = time.perf_counter(), 500  # an exception that escapes is answered 500

        async def send_and_note(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        self.in_flight.started()
        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.in_flight.ended()
            route = getattr(scope.get("route"), "path", OTHER_ROUTE)
            method = scope["method"]
            LATENCY.labels(route, method).observe(time.perf_counter() - began)
            REQUESTS.labels(route, method, str(status)).inc()
            if status == 503:
                STORE_ERRORS.labels(route).inc()


def metrics_text(*collectors) -> bytes:
    """The metrics in Prometheus' text format: this process's, or every worker's in multiprocess
    mode, followed by ``collectors`` (computed in the scraping process)."""
    if os.environ.get(MULTIPROCESS_DIR):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = CollectorRegistry()
        registry.register(_Everything())
    for collector in collectors:
        registry.register(collector)
    return generate_latest(registry)


class _Everything:
    """This process's default registry (request metrics, Python's process and GC metrics)."""

    def collect(self):
        return PROCESS_REGISTRY.collect()
