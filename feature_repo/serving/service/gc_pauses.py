"""How long the garbage collector stops a worker: ``scoring_gc_pause_seconds{generation}``.

A full collection scans every object a worker tracks, and while it runs the worker answers
nothing, so one long pause is a request's stall under load. Python counts collections
(``python_gc_collections_total``) but does not time them; ``gc.callbacks`` do. Only the older
generations are observed: a young collection (generation 0) scans the few objects allocated since
the last one, runs hundreds of times a second and would cost more to record than it stops.
Multiprocess mode adds the workers' pauses up like the request metrics.
"""

from __future__ import annotations

import gc
import time

from prometheus_client import Histogram

PAUSE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
OBSERVED_GENERATIONS = (1, 2)

GC_PAUSES = Histogram(
    "scoring_gc_pause_seconds", "Time a garbage collection stopped the worker.", ["generation"],
    buckets=PAUSE_BUCKETS,
)  # fmt: skip
_BY_GENERATION = {g: GC_PAUSES.labels(generation=str(g)) for g in OBSERVED_GENERATIONS}
_began: list[float] = [0.0]


def _note_pause(phase: str, info: dict) -> None:
    if phase == "start":
        _began[0] = time.perf_counter()
    elif (pauses := _BY_GENERATION.get(info["generation"])) is not None:
        pauses.observe(time.perf_counter() - _began[0])


def time_gc_pauses() -> None:
    """Time this process's collections from now on (once per process, however often called)."""
    if _note_pause not in gc.callbacks:
        gc.callbacks.append(_note_pause)
