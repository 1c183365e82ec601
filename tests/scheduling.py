"""Which tests are unit tests, and how ``make test`` spreads the suite over pytest-xdist workers.

Hooks imported by ``tests/conftest.py``.

- A test that uses a fixture starting a server, a browser or Spark, or needing the built data
  (directly or through another fixture), is marked ``integration``; ``make test-fast`` runs the rest.
- A test file stays on one worker, so its module fixtures (a store, a server, a mirror) are built
  once; a file in ``SPLIT_BY_PARAMETER`` is one group per parameter instead (its module fixture is
  parametrized, so nothing is shared between parameters anyway).
- The longest groups start first, so that the run does not end waiting on one of them.
  (xdist's own ``loadgroup`` cannot be used: with pytest 9.2 its group marks are ignored.)
"""

from __future__ import annotations

import pytest

INTEGRATION_FIXTURES = {
    "built_data", "redis_server", "redis_cluster", "moto", "s3_endpoint", "emulator", "spark",
}  # fmt: skip

# Files whose module fixture is parametrized (one store profile per parameter).
SPLIT_BY_PARAMETER = ("tests/test_store_behaviour.py",)

# The longest files, longest first, as measured with `pytest --durations=0` (about 2/3 of the run);
# the other files follow in collection order.
LONGEST_FIRST = (
    "tests/test_bench_smoke.py",  # one test of about 7 minutes alone (every bench section)
    "tests/test_spark.py",
    "tests/sagemaker/test_mirror_end_to_end.py",
    "tests/test_store_behaviour.py",
    "tests/test_s3.py",
    "tests/test_versions_and_training_sets.py",
    "tests/test_store_faults.py",
    "tests/test_fresh_push.py",
    "tests/test_skew_and_status.py",
    "tests/sagemaker/test_mirror_changes_and_faults.py",
    "tests/test_quality_gate.py",
    "tests/test_runtime_imports.py",
    "tests/test_ui.py",
    "tests/test_servers.py",
)


def file_of(nodeid: str) -> str:
    return nodeid.split("::", 1)[0]


def group_of(nodeid: str) -> str:
    """The worker group of a test: its file, or its file and parameter (``SPLIT_BY_PARAMETER``)."""
    path, _, rest = nodeid.partition("::")
    if path in SPLIT_BY_PARAMETER and rest.endswith("]") and "[" in rest:
        return f"{path}[{rest[rest.index('[') + 1 : -1]}]"
    return path


def pytest_itemcollected(item: pytest.Item) -> None:
    used = set(getattr(item, "fixturenames", ()))
    if used & INTEGRATION_FIXTURES:
        item.add_marker(pytest.mark.integration)
    if "spark" in used or "spark" in item.name:  # the Spark session, or the CLI on Spark
        item.add_marker(pytest.mark.spark)


@pytest.hookimpl(trylast=True)  # after pytest's own reordering by fixture parameters
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    rank = {path: position for position, path in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(file_of(item.nodeid), len(rank)))


def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """xdist's scheduling by scope, with ``group_of`` as the scope, in the order collected."""
    from xdist.scheduler import LoadScopeScheduling

    class ByGroup(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return group_of(nodeid)

    config.option.loadscopereorder = False  # keep LONGEST_FIRST, not the largest test count first
    return ByGroup(config, log)
