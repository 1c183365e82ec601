"""`delivery-fs-bench --smoke`: every section of a whole bench run, at a tiny size, runs to the end
on what the suite builds itself, so that a broken section fails here and not after an hour of
`make bench`. Its speed figures mean nothing; its correctness figures still hold."""

from __future__ import annotations

import json
import math

import pytest

from devtools.bench.suite import SECTIONS
from tests.cli_runner import run_cli

pytestmark = pytest.mark.integration
SMOKE_TIME_LIMIT = 2_300  # seconds; about 7 minutes alone, twice that beside the rest of the suite


@pytest.mark.timeout(SMOKE_TIME_LIMIT + 100)
def test_every_section_of_the_bench_runs(tmp_path):
    results = tmp_path / "smoke.json"
    run = run_cli("delivery-fs-bench", "--smoke", "--work-dir", str(tmp_path / "work"),
                  "--results", str(results), timeout=SMOKE_TIME_LIMIT)  # fmt: skip
    document = json.loads(results.read_text())
    assert document["machine"]["smoke"] is True
    figures = {figure["name"]: figure for figure in document["figures"]}
    assert {figure["section"] for figure in figures.values()} == set(SECTIONS), run.stdout
    assert all(math.isfinite(figure["value"]) for figure in figures.values())
    # what is counted, not timed, holds at any size
    replayed = [f for name, f in figures.items() if name.startswith("online = offline after")]
    assert [f["value"] for f in replayed] == [0]
    lost = [f for name, f in figures.items() if name.startswith("mixed:") and "lost orders" in name]
    assert [f["value"] for f in lost] == [0] and lost[0]["details"]["checked"] > 0
    spark = next(f for name, f in figures.items() if "--engine spark" in name)
    differing = spark["details"]["differing_rows"]
    assert spark["met"] and "user_order_ledger" in differing and set(differing.values()) == {0}
    week = figures["monitor, a week of logs"]
    assert week["details"]["source"] == "logs"
    assert week["details"]["rows"] == week["details"]["users"] * week["details"]["days"] > 0
