"""Outcomes of Feast's tests per variant, read from pytest's JUnit XML, and what the comparison finds.

A test id is the same in every variant (the store's key and creator name it, not its class), so the
runs compare test by test against the reference, Feast's own classes and engine.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

OUTCOMES = ("passed", "failed", "error", "skipped")


def outcomes_from_junit(path: Path) -> dict[str, str]:
    """Each test's outcome (one of ``OUTCOMES``) by its id, ``module.path::name[params]``."""
    outcomes: dict[str, str] = {}
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        test_id = f"{case.get('classname')}::{case.get('name')}"
        marks = {child.tag for child in case}
        if "error" in marks:  # an error in teardown follows a pass or a failure: it wins
            outcomes[test_id] = "error"
        elif "failure" in marks:
            outcomes[test_id] = "failed"
        elif "skipped" in marks:
            outcomes[test_id] = "skipped"
        else:
            outcomes[test_id] = "passed"
    return outcomes


def collection_errors(outcomes: dict[str, str]) -> list[str]:
    """The test modules that failed to load: pytest reports each as a nameless test case."""
    return sorted(test_id.removeprefix("::") for test_id in outcomes if test_id.startswith("::"))


@dataclass(frozen=True)
class Comparison:
    variant: str
    counts: Counter
    regressions: tuple[tuple[str, str], ...]  # (test id, outcome) of tests the reference passes
    gains: tuple[str, ...]  # tests that pass here and not in the reference

    @property
    def holds(self) -> bool:
        return not self.regressions


def compare(reference: dict[str, str], variant: str, outcomes: dict[str, str]) -> Comparison:
    """Every test the reference passes must pass in ``outcomes``; a test missing there is ``missing``."""
    regressions = tuple(
        (test_id, outcomes.get(test_id, "missing"))
        for test_id, outcome in sorted(reference.items())
        if outcome == "passed" and outcomes.get(test_id) != "passed"
    )
    gains = tuple(
        sorted(
            test_id
            for test_id, outcome in outcomes.items()
            if outcome == "passed" and reference.get(test_id) != "passed"
        )
    )
    return Comparison(variant, Counter(outcomes.values()), regressions, gains)
