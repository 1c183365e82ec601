"""The comparison of Feast's test runs (``make feast-online-store-tests``), on JUnit XML written by hand
in the shape pytest writes it: outcomes read per test, regressions against the reference."""

from __future__ import annotations

from collections import Counter

import pytest

from devtools.feast_suite.results import collection_errors, compare, outcomes_from_junit
from devtools.feast_suite.variants import VARIANTS, variant_named

MODULE = "tests.integration.online_store.test_universal_e2e"


def _junit(tmp_path, name: str, cases: str):
    path = tmp_path / f"{name}.xml"
    path.write_text(
        f'<?xml version="1.0"?><testsuites><testsuite name="pytest">{cases}</testsuite></testsuites>'
    )
    return path


def _case(test: str, child: str = "") -> str:
    return f'<testcase classname="{MODULE}" name="{test}" time="1.0">{child}</testcase>'


def test_each_outcome_is_read_and_an_error_in_teardown_counts_as_an_error(tmp_path):
    path = _junit(
        tmp_path,
        "run",
        _case("test_a[sqlite]")
        + _case("test_b[sqlite]", '<failure message="assert 1 == 2">x</failure>')
        + _case(
            "test_c[sqlite]", '<failure message="f">x</failure><error message="teardown">y</error>'
        )
        + _case("test_d[redis]", '<skipped message="needs docker">z</skipped>')
        + '<testcase classname="" name="tests.integration.broken" time="0"><error message="ImportError">e</error></testcase>',
    )

    outcomes = outcomes_from_junit(path)

    assert outcomes == {
        f"{MODULE}::test_a[sqlite]": "passed",
        f"{MODULE}::test_b[sqlite]": "failed",
        f"{MODULE}::test_c[sqlite]": "error",
        f"{MODULE}::test_d[redis]": "skipped",
        "::tests.integration.broken": "error",
    }
    assert collection_errors(outcomes) == ["tests.integration.broken"]


def test_a_test_the_reference_passes_must_pass_and_the_others_are_not_compared():
    reference = {"m::a": "passed", "m::b": "passed", "m::c": "failed", "m::d": "passed"}
    ours = {"m::a": "passed", "m::b": "failed", "m::c": "passed"}  # m::d never ran

    comparison = compare(reference, "ours", ours)

    assert comparison.regressions == (("m::b", "failed"), ("m::d", "missing"))
    assert comparison.gains == ("m::c",)
    assert comparison.counts == Counter({"passed": 2, "failed": 1})
    assert not comparison.holds
    assert compare(reference, "ours", {**reference, "m::c": "error"}).holds


def test_variants_point_at_our_classes_and_an_unknown_name_says_which_exist():
    assert VARIANTS["stock"].store_types == {
        "sqlite": "sqlite",
        "redis": "redis",
        "dynamodb": "dynamodb",
    }
    ours = variant_named("ours")
    assert ours.store_types["redis"] == "feature_repo.online.redis.BulkRedisOnlineStore"
    assert ours.batch_engine == {"type": "feature_repo.online.batch_engine.StreamingComputeEngine"}
    assert variant_named("ours-feast-engine").batch_engine == {"type": "local"}
    with pytest.raises(ValueError, match="use one of stock, ours-feast-engine, ours"):
        variant_named("mine")
