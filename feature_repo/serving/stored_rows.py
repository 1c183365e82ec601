"""What a store reader returns, shared by the reader of each backend (``store_readers`` picks one).

For each view of a plan and each requested row: ``None`` (no row) or ``(event_time, [stored bytes of
each feature of the view, in the plan's order])``, read in Feast's layout and not yet decoded.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

StoredRow = tuple[datetime | None, list[bytes | None]] | None


class StoreReader(Protocol):
    def read(self, keys: Sequence[list[bytes]]) -> list[list[StoredRow]]:
        """``keys[v]``: the entity keys of view ``v`` (one per row); per view, one stored row per key."""
        ...
