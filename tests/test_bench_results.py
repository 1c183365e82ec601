"""``delivery-fs-bench --only``: a partial run's figures are merged into the earlier results."""

from __future__ import annotations

import json

import pytest

from devtools.bench.cli import _sections
from devtools.bench.report import Figure, merge_results, write_results


def _figure(name: str, value: float, section: str) -> Figure:
    return Figure(name, "s", value, 1.0, "(reported)", True, section=section,
                  measured_at="2026-01-01T00:00:00+00:00",
                  load_average={"start": [1.0, 1.0, 1.0], "end": [2.0, 2.0, 2.0]})  # fmt: skip


def test_same_names_replaced_others_kept_in_order(tmp_path):
    path = tmp_path / "results.json"
    first_machine, second_machine = {"cores": 2, "run": 1}, {"cores": 2, "run": 2}
    write_results(path, first_machine, [_figure("a", 1, "build"), _figure("b", 2, "serving")])
    merge_results(path, second_machine, [_figure("a", 10, "build"), _figure("c", 3, "offline")])
    document = json.loads(path.read_text())
    assert [(f["name"], f["value"]) for f in document["figures"]] == [("b", 2), ("a", 10), ("c", 3)]
    assert document["figures"][1]["load_average"] == {"start": [1.0] * 3, "end": [2.0] * 3}
    assert document["machine"] == second_machine
    assert document["runs"] == [first_machine, {**second_machine, "sections": ["build", "offline"]}]


def test_a_whole_run_keeps_the_figures_of_larger_sizes_measured_apart(tmp_path):
    path = tmp_path / "results.json"
    merge_results(path, {"run": 1}, [_figure("build x100 vs linear from x1", 500, "build"),
                                     _figure("x100 redis: materialize", 7, "online-scale"),
                                     _figure("build x10 vs linear from x1", 50, "build"),
                                     _figure("online redis, 100 users, p50", 4, "serving")])  # fmt: skip
    write_results(path, {"run": 2}, [_figure("build x10 vs linear from x1", 48, "build")],
                  largest_scale=10.0)  # fmt: skip
    names = [(f["name"], f["value"]) for f in json.loads(path.read_text())["figures"]]
    assert names == [("build x10 vs linear from x1", 48), ("build x100 vs linear from x1", 500),
                     ("x100 redis: materialize", 7)]  # fmt: skip


def test_merging_into_no_results_writes_them(tmp_path):
    path = tmp_path / "new" / "results.json"
    merge_results(path, {"cores": 2}, [_figure("a", 1, "build")])
    assert [f["name"] for f in json.loads(path.read_text())["figures"]] == ["a"]


def test_only_accepts_known_sections():
    assert _sections("build, offline") == ["build", "offline"]
    with pytest.raises(Exception, match="unknown section nope"):
        _sections("build,nope")


def test_the_run_waits_for_the_load_to_fall_and_says_so_or_goes_on_when_it_does_not():
    from devtools.bench.measure import wait_for_quiet_machine

    said, slept = [], []
    loads = iter([1.92, 1.71, 1.49, 0.2])
    stopped_at = wait_for_quiet_machine(said.append, 60, lambda: next(loads), slept.append)
    # polled twice, stopped at the first load under 1.5
    assert (stopped_at, slept) == (1.49, [5, 5])
    assert said == [
        "waiting for the machine to settle: 1-minute load average 1.92 (starts under 1.5)"
    ]

    said, slept = [], []
    assert wait_for_quiet_machine(said.append, 10, lambda: 1.8, slept.append) == 1.8
    assert slept == [5, 5] and said[-1].startswith(
        "the machine is still busy after 10 s (load 1.80)"
    )

    said = []
    assert wait_for_quiet_machine(said.append, 10, lambda: 0.4, slept.append) == 0.4 and said == []
