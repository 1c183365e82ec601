"""The scoring service's GC pause histogram: one observation per collection of generations 1 and
2 (counted here by asking for them with ``gc.collect``), none for generation 0, and pauses no
longer than the calls that made them."""

from __future__ import annotations

import gc
import time

from prometheus_client import REGISTRY

from devtools.bench.gc_scrape import pauses_between
from feature_repo.serving.service.gc_pauses import time_gc_pauses


def _pauses(generation: int) -> tuple[float, float]:
    labels = {"generation": str(generation)}
    count = REGISTRY.get_sample_value("scoring_gc_pause_seconds_count", labels)
    total = REGISTRY.get_sample_value("scoring_gc_pause_seconds_sum", labels)
    return count, total


def test_each_older_collection_is_one_pause_no_longer_than_its_call():
    time_gc_pauses()
    time_gc_pauses()  # a second call adds no second callback
    before = {g: _pauses(g) for g in (1, 2)}
    gc.disable()  # only the collections asked for below
    try:
        began = time.perf_counter()
        for generation in (0, 1, 1, 2, 2, 2):
            gc.collect(generation)
        spent = time.perf_counter() - began
    finally:
        gc.enable()
    after = {g: _pauses(g) for g in (1, 2)}
    assert after[1][0] - before[1][0] == 2
    assert after[2][0] - before[2][0] == 3
    assert REGISTRY.get_sample_value("scoring_gc_pause_seconds_count", {"generation": "0"}) is None
    paused = sum(after[g][1] - before[g][1] for g in (1, 2))
    assert 0 < paused <= spent


def test_the_pauses_of_a_window_are_the_histograms_difference():
    def histogram(
        count, total, buckets
    ):  # cumulative counts per upper bound, as Prometheus has them
        samples = {("scoring_gc_pause_seconds_count", "2", ""): count,
                   ("scoring_gc_pause_seconds_sum", "2", ""): total}  # fmt: skip
        for le, n in buckets.items():
            samples[("scoring_gc_pause_seconds_bucket", "2", le)] = n
        return samples

    before = histogram(4, 0.30, {"0.01": 1, "0.1": 3, "0.25": 4, "+Inf": 4})
    # two more collections: one of 5 ms (bucket 0.01) and one of 200 ms (bucket 0.25)
    after = histogram(6, 0.505, {"0.01": 2, "0.1": 4, "0.25": 6, "+Inf": 6})
    assert pauses_between(before, after) == {
        "2": {"collections": 2, "seconds": 0.205, "longest_at_most_ms": 250.0}
    }
    assert pauses_between(after, after)["2"] == {
        "collections": 0,
        "seconds": 0.0,
        "longest_at_most_ms": 0.0,
    }
