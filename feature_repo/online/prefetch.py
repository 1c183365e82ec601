"""Producing the next item of an iterator while the caller handles the current one.

A load reads and encodes a batch (DuckDB, numpy, Arrow: they release the GIL) while the previous
batch is written (sqlite3 and socket calls release it too), so on two cores the two overlap. At
most one item waits beyond the one in hand, so memory stays bounded by two batches.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

T = TypeVar("T")
_END = object()


def prefetched(items: Iterator[T]) -> Iterator[T]:
    """``items`` in order, each next one produced in a worker thread meanwhile; an error raised
    while producing comes out of this iterator."""
    with ThreadPoolExecutor(1, thread_name_prefix="prefetch") as pool:
        future = pool.submit(next, items, _END)
        while (item := future.result()) is not _END:
            future = pool.submit(next, items, _END)
            yield item
