"""The soak's checks, pure functions of its record and of what the stores hold (no servers), so a
unit test can give them hand-computed cases.

An order's outcome comes from every answer its client was told: ``applied`` if any answer was
``applied``; ``duplicate`` if it never was but the endpoint said it already held it (a first send
that got no answer but was applied); else its last answer (``failed``, ``no_answer``, ``late``,
``rejected``). Applied and duplicate orders were acknowledged: each must be in the online ledger
and in the offline pushed data exactly once (absent: lost; more: doubled). An order whose client
never had it acknowledged must be in both or in neither (in one only: half-applied).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

ACKNOWLEDGED = ("applied", "duplicate")
UNACKNOWLEDGED = ("failed", "no_answer")
RECOVERY_FACTOR = 1.5
RECOVERY_WINDOW_SECONDS = 30.0


def outcomes(answers: Iterable[Mapping]) -> dict[int, str]:
    """Each order's outcome from the record's answers (``transaction_id``, ``answer``), in time order."""
    told: dict[int, list[str]] = {}
    for line in answers:
        told.setdefault(int(line["transaction_id"]), []).append(line["answer"])
    return {tid: _outcome(seen) for tid, seen in told.items()}


def _outcome(seen: list[str]) -> str:
    for acknowledged in ACKNOWLEDGED:
        if acknowledged in seen:
            return acknowledged
    return seen[-1]


@dataclass
class Classified:
    """The orders at fault, by kind (transaction ids, sorted)."""

    lost_online: list[int] = field(default_factory=list)
    lost_offline: list[int] = field(default_factory=list)
    doubled_online: list[int] = field(default_factory=list)
    doubled_offline: list[int] = field(default_factory=list)
    half_applied: list[int] = field(default_factory=list)

    @property
    def lost(self) -> int:
        return len(set(self.lost_online) | set(self.lost_offline))

    @property
    def doubled(self) -> int:
        return len(set(self.doubled_online) | set(self.doubled_offline))


def classify(
    outcome: Mapping[int, str], online: Mapping[int, int], offline: Mapping[int, int]
) -> Classified:
    """``online`` and ``offline``: how many times each transaction id is held (absent: 0)."""
    found = Classified()
    for tid in sorted(outcome):
        in_online, in_offline = online.get(tid, 0), offline.get(tid, 0)
        if outcome[tid] in ACKNOWLEDGED:
            _add(found.lost_online, tid, in_online == 0)
            _add(found.lost_offline, tid, in_offline == 0)
            _add(found.doubled_online, tid, in_online > 1)
            _add(found.doubled_offline, tid, in_offline > 1)
        elif outcome[tid] in UNACKNOWLEDGED:
            _add(found.half_applied, tid, (in_online > 0) != (in_offline > 0))
    return found


def _add(ids: list[int], tid: int, condition: bool) -> None:
    if condition:
        ids.append(tid)


def recovery_seconds(
    slices: list[Mapping],
    fault_at: float,
    quiet_p99_ms: float,
    factor: float = RECOVERY_FACTOR,
) -> float | None:
    """Seconds from ``fault_at`` to the end of the first read slice that started at or after it with a
    p99 within ``factor`` times the quiet p99 and no errors; ``None`` when no slice ever does.

    ``slices``: ``start`` and ``end`` (seconds into the soak), ``p99_ms`` (``None``: nothing
    answered), ``errors``."""
    limit = factor * quiet_p99_ms
    for piece in sorted(slices, key=lambda s: s["start"]):
        quiet = piece["p99_ms"] is not None and piece["p99_ms"] <= limit and piece["errors"] == 0
        if piece["start"] >= fault_at and quiet:
            return round(piece["end"] - fault_at, 3)
    return None
