"""Every module of ``feature_repo`` imports with the runtime dependencies alone.

The environment holds ``feature_repo`` and the distributions ``pip install .`` brings, nothing of
the extras, of ``devtools``, of ``sagemaker_emulator`` or of the tests (see ``tests/runtime_env``).
A module may need an optional extra only where ``NEEDS_EXTRA`` says so, and then only by missing a
module that this extra installs: a backend registered by dotted path in a profile (the Redis online
store) or a command group that is documented as needing its extra (``delivery-fs sagemaker``).
"""

import json
import subprocess
from importlib import metadata

import pytest

from tests.runtime_env import PROJECT, create_runtime_env, runtime_distributions

pytestmark = pytest.mark.integration

NEEDS_EXTRA = {
    "feature_repo.online.redis": "redis",  # profiles/feature_store.redis*.yaml
    "feature_repo.sagemaker.": "sagemaker",  # delivery-fs sagemaker, see the README
}

WALK = """
import importlib, json, pkgutil
import feature_repo
failures = {}
for info in pkgutil.walk_packages(feature_repo.__path__, "feature_repo."):
    try:
        importlib.import_module(info.name)
    except Exception as error:
        missing = getattr(error, "name", None) or getattr(error.__context__, "name", None)
        failures[info.name] = [type(error).__name__, missing, str(error)]
print(json.dumps(failures))
"""


def extra_of(module: str) -> str | None:
    for prefix, extra in NEEDS_EXTRA.items():
        if module == prefix or (prefix.endswith(".") and module.startswith(prefix)):
            return extra
    return None


def distributions_of(top_level_module: str) -> set[str]:
    from tests.runtime_env import canonical

    return {canonical(name) for name in metadata.packages_distributions().get(top_level_module, [])}


@pytest.fixture(scope="module")
def import_failures(tmp_path_factory):
    python = create_runtime_env(tmp_path_factory.mktemp("runtime") / "venv")
    result = subprocess.run(
        [str(python), "-I", "-c", WALK],
        capture_output=True,
        text=True,
        cwd=python.parent,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_environment_lacks_every_extra_and_the_development_packages():
    runtime = runtime_distributions()
    assert "feast" in runtime and "duckdb" in runtime
    for extra in ("redis", "aws", "spark", "sagemaker", "dev"):
        added = runtime_distributions(PROJECT, frozenset({extra})) - runtime
        assert added, f"the {extra} extra adds nothing: the check would prove nothing"
    assert not {"redis", "boto3", "pyspark", "moto", "pytest"} & runtime


def test_every_runtime_module_imports(import_failures):
    unexpected = {
        module: error for module, error in import_failures.items() if not extra_of(module)
    }
    assert unexpected == {}


def test_modules_that_need_an_extra_miss_only_that_extra(import_failures):
    runtime = runtime_distributions()
    for module, (kind, missing, message) in import_failures.items():
        extra = extra_of(module)
        if extra is None:
            continue
        # Feast's own check of an extra raises its FeastExtrasDependencyImportError
        assert kind in ("ModuleNotFoundError", "FeastExtrasDependencyImportError"), (
            module,
            message,
        )
        provided_by = distributions_of(missing.split(".")[0])
        in_extra = runtime_distributions(PROJECT, frozenset({extra})) - runtime
        assert provided_by & in_extra, f"{module}: {missing} does not come with the {extra} extra"
    for prefix, extra in NEEDS_EXTRA.items():
        assert any(
            extra_of(module) == extra and module.startswith(prefix) for module in import_failures
        ), f"{prefix} imports without the {extra} extra now: remove it from NEEDS_EXTRA"
