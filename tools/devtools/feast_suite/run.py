"""``python -m devtools.feast_suite``: Feast's online-store tests, once per variant, then compared.

Feast's test tree (``sdk/python/tests`` of the tag of the installed Feast) is fetched once into
``.feast-suite/`` with a sparse clone, or taken from ``--feast-src`` (a checkout or an unpacked
archive holding ``sdk/python/tests``). Only the tests and ``pytest.ini`` are copied into the run's
directory, so the installed Feast is the one tested, never a source tree beside it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections import Counter
from importlib.metadata import version
from pathlib import Path

from devtools.feast_suite.results import (
    OUTCOMES,
    Comparison,
    collection_errors,
    compare,
    outcomes_from_junit,
)
from devtools.feast_suite.variants import REFERENCE, VARIANT_VARIABLE, VARIANTS
from feature_repo.core.paths import REPO_ROOT

FEAST_REPOSITORY = "https://github.com/feast-dev/feast"
SUITE_DIRECTORY = REPO_ROOT / ".feast-suite"
# Feast's universal online-store tests, and its materialization tests on the default online store.
TEST_PATHS = (
    "tests/integration/online_store/test_universal_online.py",
    "tests/integration/online_store/test_universal_online_types.py",
    "tests/integration/online_store/test_universal_e2e.py",
    "tests/integration/online_store/test_push_features_to_online_store.py",
    "tests/integration/materialization/test_universal_materialization.py",
)
# What Feast's Makefile sets for its local runs; the AWS values are moto's, never real credentials.
SUITE_ENVIRONMENT = {
    "IS_TEST": "True",
    "FEAST_IS_LOCAL_TEST": "True",
    "FULL_REPO_CONFIGS_MODULE": "devtools.feast_suite.repo_configuration",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-west-2",
}


class SuiteError(RuntimeError):
    """The run could not start: the message says what is missing and what to do."""


def fetch_feast_tests(feast_version: str, into: Path) -> Path:
    """A sparse, shallow clone of Feast's tag ``v<version>``: its Python tests, not its sources."""
    if (into / "sdk/python/tests").is_dir():
        return into
    partial = into.with_name(into.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    clone = ["git", "clone", "--quiet", "--depth", "1", "--branch", f"v{feast_version}",
             "--filter=blob:none", "--sparse", FEAST_REPOSITORY, str(partial)]  # fmt: skip
    try:
        subprocess.run(clone, check=True)
        subprocess.run(
            ["git", "-C", str(partial), "sparse-checkout", "set", "sdk/python/tests"], check=True
        )
    except (OSError, subprocess.CalledProcessError) as error:
        cause = (
            f"git exited with {error.returncode}"
            if isinstance(error, subprocess.CalledProcessError)
            else error
        )
        raise SuiteError(
            f"could not fetch Feast's tests for v{feast_version} from {FEAST_REPOSITORY} ({cause}). "
            "Without network access, unpack Feast's sources of that tag and pass --feast-src "
            "(or FEAST_SRC=...) with the directory that holds sdk/python/tests."
        ) from error
    partial.rename(into)  # whole or not at all: a broken clone is never taken for a fetched one
    return into


def prepare_run_directory(feast_source: Path, run_directory: Path) -> Path:
    """Feast's ``tests`` package and ``pytest.ini``, alone in a fresh directory."""
    tests = feast_source / "sdk/python/tests"
    if not tests.is_dir():
        raise SuiteError(
            f"{feast_source} holds no sdk/python/tests: pass the root of Feast's sources"
        )
    shutil.rmtree(run_directory, ignore_errors=True)
    run_directory.mkdir(parents=True)
    shutil.copytree(tests, run_directory / "tests")
    shutil.copy2(feast_source / "sdk/python/pytest.ini", run_directory / "pytest.ini")
    return run_directory


def run_variant(
    name: str, run_directory: Path, results: Path, workers: int, extra: list[str]
) -> Path:
    """One pytest run of Feast's tests for variant ``name``; its JUnit XML and log in ``results``."""
    junit, log = results / f"{name}.xml", results / f"{name}.log"
    junit.unlink(missing_ok=True)  # a crashed run must not be read as the last one's results
    env = {
        **os.environ,
        **SUITE_ENVIRONMENT,
        VARIANT_VARIABLE: name,
        "PYTHONPATH": str(run_directory),
    }
    command = [sys.executable, "-m", "pytest", "--integration", "-p", "devtools.feast_suite.plugin",
               "-p", "no:cacheprovider", f"--junitxml={junit}", "-o", "addopts=--strict-markers",
               "--tb=short", "-n", str(workers), *TEST_PATHS, *extra]  # fmt: skip
    print(f"\n== {name}: {VARIANTS[name].description} (log: {log})", flush=True)
    with log.open("w") as output:
        subprocess.run(command, cwd=run_directory, env=env, stdout=output, stderr=subprocess.STDOUT)
    if not junit.exists():
        raise SuiteError(f"pytest wrote no results for {name}: read {log}")
    print(log.read_text().strip().splitlines()[-1], flush=True)
    return junit


def report(reference: dict[str, str], comparisons: list[Comparison]) -> str:
    """The comparison as text: each variant's counts, its regressions, and what the reference fails."""
    lines = [
        f"\nFeast's online-store tests, against {REFERENCE} ({VARIANTS[REFERENCE].description}):"
    ]
    lines.append(f"  {REFERENCE:<20} {counts_text(Counter(reference.values()))}")
    for comparison in comparisons:
        verdict = "holds" if comparison.holds else f"{len(comparison.regressions)} REGRESSIONS"
        lines.append(f"  {comparison.variant:<20} {counts_text(comparison.counts)}  {verdict}")
        lines += [f"      {outcome}: {test_id}" for test_id, outcome in comparison.regressions]
        lines += [f"      passes here only: {test_id}" for test_id in comparison.gains]
    not_passing = sorted(test_id for test_id, outcome in reference.items() if outcome != "passed")
    if not_passing:
        lines.append(f"  not passed by {REFERENCE} either, so not compared (see {REFERENCE}.log):")
        lines += [f"      {reference[test_id]}: {test_id}" for test_id in not_passing]
    return "\n".join(lines)


def counts_text(counts: Counter) -> str:
    return ", ".join(f"{counts[outcome]} {outcome}" for outcome in OUTCOMES)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.feast_suite", description=__doc__)
    parser.add_argument("--feast-src", type=Path, default=os.environ.get("FEAST_SRC") or None,
                        help="Feast's sources of the installed version (default: fetched into .feast-suite/)")  # fmt: skip
    parser.add_argument("--workers", type=int, default=4,
                        help="pytest-xdist processes per run (the tests mostly wait; default 4)")  # fmt: skip
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest, e.g. -k e2e")
    args = parser.parse_args(argv)
    feast_version = version("feast")
    try:
        source = args.feast_src or fetch_feast_tests(
            feast_version, SUITE_DIRECTORY / f"feast-{feast_version}"
        )
        run_directory = prepare_run_directory(Path(source), SUITE_DIRECTORY / "run")
        results = SUITE_DIRECTORY / "results"
        results.mkdir(parents=True, exist_ok=True)
        outcomes = {
            name: outcomes_from_junit(
                run_variant(name, run_directory, results, args.workers, args.pytest_args)
            )
            for name in VARIANTS
        }
    except SuiteError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    reference = outcomes[REFERENCE]
    if unloaded := collection_errors(reference):
        print(f"error: Feast's test modules did not all load for {REFERENCE}: {', '.join(unloaded)}; "
              f"read {SUITE_DIRECTORY / 'results' / REFERENCE}.log (a missing import: add it to "
              "tools/devtools/feast_suite/requirements.txt)", file=sys.stderr)  # fmt: skip
        return 2
    comparisons = [
        compare(reference, name, outcomes[name]) for name in VARIANTS if name != REFERENCE
    ]
    print(report(reference, comparisons))
    return 0 if all(comparison.holds for comparison in comparisons) else 1
