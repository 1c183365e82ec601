"""The soak's pusher: held-out orders at a steady rate through ``POST /push-orders``, and for every
order each answer its client was told, appended to a JSON-lines file (the independent record the
checks read; never the store).

An answer is the order's status in the response (``applied``, ``duplicate``, ``late``, ``rejected``,
or ``failed`` in a 503), or ``no_answer`` (connection refused or reset, a timeout, a 5xx without
results). As a client would, orders answered ``failed`` or not answered are sent again with the next
batch (the endpoint applies each once), up to ``MAX_ATTEMPTS`` sends.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

NO_ANSWER = "no_answer"
RETRIED = ("failed", NO_ANSWER)
MAX_ATTEMPTS = 20
TIMEOUT_SECONDS = 15


def post_orders(url: str, orders: list[dict]) -> tuple[int | None, dict[int, tuple[str, str]]]:
    """The HTTP status and each order's answer and its reason (by transaction id)."""
    body = json.dumps({"orders": orders}).encode()
    request = urllib.request.Request(
        url + "/push-orders", body, {"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
            code, answer = response.status, json.load(response)
    except urllib.error.HTTPError as error:
        code, text = error.code, error.read()
        try:
            answer = json.loads(text).get("detail", {})
        except ValueError:
            answer = {}
    except OSError:  # refused, reset, timed out
        return None, {o["transaction_id"]: (NO_ANSWER, "") for o in orders}
    told = {r["transaction_id"]: (r["status"], r.get("reason", "")) for r in (answer or {}).get("results", [])}  # fmt: skip
    return code, {o["transaction_id"]: told.get(o["transaction_id"], (NO_ANSWER, f"HTTP {code}")) for o in orders}  # fmt: skip


@dataclass
class Pusher:
    """Sends ``per_second`` orders a second from ``orders`` (in event-time order) to ``url``."""

    url: str
    orders: list[dict]
    record: Path
    per_second: int
    started: float = field(default_factory=time.monotonic)
    send_twice: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)
    pending: list[dict] = field(default_factory=list)
    attempts: dict[int, int] = field(default_factory=dict)
    sent_twice: list[int] = field(default_factory=list)

    def run(self) -> None:
        position = 0
        with self.record.open("a") as record:
            while not self.stop.is_set() and (position < len(self.orders) or self.pending):
                tick = time.monotonic()
                batch, self.pending = (
                    self.pending + self.orders[position : position + self.per_second],
                    [],
                )
                position += self.per_second
                self._send(batch, record)
                if (
                    self.send_twice.is_set()
                ):  # the fault: the same batch again, as a client retrying
                    self.send_twice.clear()
                    self.sent_twice = [o["transaction_id"] for o in batch]
                    self._send(batch, record)
                self.stop.wait(max(0.0, 1.0 - (time.monotonic() - tick)))

    def drain(self, seconds: float) -> None:
        """After the load: send the orders still unanswered until each is answered or ``seconds`` pass."""
        deadline = time.monotonic() + seconds
        with self.record.open("a") as record:
            while self.pending and time.monotonic() < deadline:
                batch, self.pending = self.pending, []
                self._send(batch, record)
                time.sleep(1.0)

    def _send(self, batch: list[dict], record) -> None:
        if not batch:
            return
        at = time.monotonic() - self.started
        code, answers = post_orders(self.url, batch)
        for order in batch:
            tid = order["transaction_id"]
            self.attempts[tid] = self.attempts.get(tid, 0) + 1
            answer, reason = answers[tid]
            line = {"t": round(at, 3), "transaction_id": tid, "user_id": order["user_id"],
                    "answer": answer, "http": code, "reason": reason[:200]}  # fmt: skip
            record.write(json.dumps(line) + "\n")
            if answer in RETRIED and self.attempts[tid] < MAX_ATTEMPTS:
                self.pending.append(order)
        record.flush()
