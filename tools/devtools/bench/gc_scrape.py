"""The scoring service's garbage-collection pauses over a measured window, read from its
``/metrics`` (``scoring_gc_pause_seconds``) before and after: how many collections of generations
1 and 2 stopped it, for how long in all, and a bound on the longest (its histogram bucket)."""

from __future__ import annotations

import math
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

METRIC = "scoring_gc_pause_seconds"


def gc_pause_samples(url: str) -> dict[tuple[str, str, str], float]:
    """``(sample name, generation, le)`` -> value of the pause histogram at ``url``'s ``/metrics``."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=30) as answer:
        text = answer.read().decode()
    return {
        (sample.name, sample.labels["generation"], sample.labels.get("le", "")): sample.value
        for family in text_string_to_metric_families(text)
        if family.name == METRIC
        for sample in family.samples
    }


def pauses_between(before: dict, after: dict) -> dict[str, dict]:
    """Per generation: collections, their seconds in all, and the smallest bucket bound that
    holds every one of them (the longest pause was at most this many ms)."""
    moved = {key: value - before.get(key, 0.0) for key, value in after.items()}
    result = {}
    for generation in sorted({key[1] for key in moved}):
        count = moved.get((f"{METRIC}_count", generation, ""), 0.0)
        bounds = sorted(
            float(le) for name, g, le in moved
            if name == f"{METRIC}_bucket" and g == generation and moved[(name, g, le)] >= count
        )  # fmt: skip
        longest = bounds[0] * 1000 if count and bounds else 0.0
        result[generation] = {
            "collections": int(count),
            "seconds": round(moved.get((f"{METRIC}_sum", generation, ""), 0.0), 4),
            "longest_at_most_ms": None if math.isinf(longest) else longest,
        }
    return result
