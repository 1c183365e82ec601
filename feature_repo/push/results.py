"""What happened to each pushed order: one result per order, in the order they were given."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum


class OrderStatus(StrEnum):
    """The outcome of one pushed order."""

    APPLIED = "applied"  # online now, and appended offline
    DUPLICATE = "duplicate"  # its transaction_id is already known: counted once
    LATE = "late"  # older than the user's latest online order: offline only until the next build
    REJECTED = "rejected"  # bad input (the reason names the field): neither online nor offline
    FAILED = "failed"  # the online store failed: not applied; pushing it again applies it once


@dataclass(frozen=True)
class OrderResult:
    index: int  # position in the batch (0-based)
    location: str  # how a person finds it: "line 3" of a file, "order 2" of a request
    transaction_id: int | None
    user_id: int | None
    status: OrderStatus
    reason: str = ""

    def as_dict(self) -> dict:
        return {**asdict(self), "status": str(self.status)}

    def line(self) -> str:
        ident = "?" if self.transaction_id is None else self.transaction_id
        text = f"{self.location}: transaction {ident}: {self.status}"
        return f"{text} ({self.reason})" if self.reason else text
