"""What a store reader returns, shared by the reader of each backend (``store_readers`` picks one).

Rows are keyed by the view they were read for (``ViewPlan.key``): for each requested entity,
``None`` (no row) or a ``StoredRow``, read in Feast's layout and not yet decoded.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import NamedTuple, Protocol


class StoredRow(NamedTuple):
    """One entity's stored row of one view, as the store holds it."""

    event_time: datetime | None
    values: list[
        bytes | None
    ]  # the stored bytes of each feature read, in ``ViewPlan.features`` order


RowsByView = dict[
    str, list[StoredRow | None]
]  # by ``ViewPlan.key``: one entry per requested entity
KeysByView = Mapping[str, list[bytes]]  # by ``ViewPlan.key``: the serialized entity key of each row


class StoreReader(Protocol):
    def read(self, keys: KeysByView) -> RowsByView:
        """For each view of the plan (by key), its stored row (or ``None``) for each of its keys."""
        ...
