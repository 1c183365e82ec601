"""Injectable faults for fault tests and benchmarks: throttling, 5xx errors, latency, failed creations."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sagemaker_emulator.protocols import ApiError


@dataclass
class Faults:
    """What the next calls suffer. ``operations`` limits throttling and 5xx errors to those operations."""

    throttle_next: int = 0
    server_errors_next: int = 0
    latency_ms: float = 0.0
    operations: frozenset[str] = frozenset()
    fail_create: frozenset[str] = frozenset()
    creating_describes: int = 1
    expired_access_keys: frozenset[str] = frozenset()
    calls: Counter = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def configure(self, settings: dict[str, Any]) -> None:
        """Change faults from a control request (unknown keys are an error)."""
        with self._lock:
            for key, value in settings.items():
                if key.startswith("_") or key == "calls" or not hasattr(self, key):
                    raise ValueError(f"unknown fault setting {key!r}")
                current = getattr(self, key)
                setattr(self, key, frozenset(value) if isinstance(current, frozenset) else value)

    def before_call(self, operation: str, access_key: str | None) -> None:
        """Count the call, wait the injected latency, then raise an injected or credentials error."""
        with self._lock:
            self.calls[operation] += 1
            applies = not self.operations or operation in self.operations
            throttle = applies and self.throttle_next > 0
            server_error = applies and not throttle and self.server_errors_next > 0
            if throttle:
                self.throttle_next -= 1
            if server_error:
                self.server_errors_next -= 1
            latency = self.latency_ms
        if latency:
            time.sleep(latency / 1000)
        if access_key in self.expired_access_keys:
            raise ApiError(
                "ExpiredTokenException", "The security token included in the request is expired"
            )
        if throttle:
            raise ApiError("ThrottlingException", f"Rate exceeded for {operation} (injected)")
        if server_error:
            raise ApiError("ServiceUnavailable", f"{operation} unavailable (injected)", 503)

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": dict(self.calls)}

    def reset_stats(self) -> None:
        with self._lock:
            self.calls.clear()
