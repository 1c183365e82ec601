"""Sends to the online store run one after another on a thread of their own, in the order they
were given, while the push prepares (encodes) the next rows: the store's time overlaps the Python
work instead of adding to it.

The order is the push's guarantee (``transaction_features``, ``user_order_stats``, then the ledger,
the record of what was applied): a send runs only once the one before it succeeded, so a failure
stops every send after it, exactly as sending them in turn would. ``wait`` returns when every send
is done and raises the first failure. A small push (``threaded=False``: a few rows, where a thread
would cost more than it saves) sends each in turn right away.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class OrderedSends:
    """``with OrderedSends() as sends: sends.submit(send); ...; sends.wait()``."""

    def __init__(self, threaded: bool = True) -> None:
        self._executor = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="push-sends") if threaded else None
        )
        self._last: Future | None = None

    def submit(self, send: Callable[[], None]) -> None:
        """Run ``send`` after the sends given before it, if they succeeded."""
        if self._executor is None:
            send()  # in turn: a failure raises here, before the next is given
            return
        self._last = self._executor.submit(_after, self._last, send)

    def wait(self) -> None:
        """Every send done; the first failure raised here."""
        if self._last is not None:
            self._last.result()

    def __enter__(self) -> OrderedSends:
        return self

    def __exit__(self, *exc_info) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)  # nothing left running when the push goes on


def _after(previous: Future | None, send: Callable[[], None]) -> None:
    if previous is not None:
        previous.result()  # one worker: it is done; its failure stops this send (and is raised)
    send()
