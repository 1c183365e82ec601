"""`make demo` prints the project's own lines and Feast's own progress, no library warning.

The demo's commands are read from the Makefile (``make -n demo``), so the test follows the demo as
it changes; they run on small data, in a temporary data directory and store, without
``PYTHONWARNINGS``. The hook itself (``feature_repo/core/library_warnings.py``) is checked on the
warnings it names and on near misses, which must still show.
"""

from __future__ import annotations

import os
import subprocess
import warnings

import pytest
import yaml

from feature_repo.core.library_warnings import silence_library_warnings
from feature_repo.core.paths import REPO_ROOT
from tests.cli_runner import BIN_DIR, TIME_LIMIT, WIDTH

IBIS_DUCKDB = "/site-packages/ibis/backends/duckdb/__init__.py"
FEAST_STORE = "/site-packages/feast/feature_store.py"
FETCH_ARROW = "fetch_arrow_table() is deprecated, use to_arrow_table() instead."
EXPERIMENTAL = "On demand feature view is an experimental feature. This API is stable, but ..."


def shown(category: type[Warning], message: str, filename: str) -> list[str]:
    """The warnings that reach the console (here: a list) once the entry points' hook is installed."""
    with warnings.catch_warnings(record=True) as reached:
        warnings.simplefilter("always")
        silence_library_warnings()
        warnings.warn_explicit(message, category, filename, 332)
    return [f"{w.category.__name__}: {w.message}" for w in reached]


@pytest.mark.parametrize(
    ("category", "message", "filename"),
    [(DeprecationWarning, FETCH_ARROW, IBIS_DUCKDB), (RuntimeWarning, EXPERIMENTAL, FEAST_STORE)],
)
def test_the_named_library_warnings_are_not_shown(category, message, filename):
    assert shown(category, message, filename) == []


@pytest.mark.parametrize(
    ("category", "message", "filename"),
    [
        (DeprecationWarning, FETCH_ARROW, "/site-packages/ibis/backends/sqlite/__init__.py"),
        (DeprecationWarning, FETCH_ARROW, "/work/myibis/backends/duckdb/__init__.py"),
        (DeprecationWarning, "Table.foo() is deprecated", IBIS_DUCKDB),
        (UserWarning, FETCH_ARROW, IBIS_DUCKDB),
        (RuntimeWarning, EXPERIMENTAL, "/site-packages/feast/feature_view.py"),
        (DeprecationWarning, EXPERIMENTAL, FEAST_STORE),
        (UserWarning, "our own warning", "/repo/feature_repo/cli/data.py"),
    ],
)
def test_other_warnings_still_show(category, message, filename):
    assert shown(category, message, filename) == [f"{category.__name__}: {message}"]


def demo_commands() -> list[str]:
    """The shell lines of the Makefile's ``demo`` recipe, with this environment's commands."""
    recipe = subprocess.run(
        ["make", "--no-print-directory", "-n", "-o", "install", "-o", ".venv/.installed", "demo"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    commands = [line for line in recipe.splitlines() if line.startswith(".venv/bin/")]
    return [line.replace(".venv/bin/", f"{BIN_DIR}/") for line in commands]


def store_config(directory) -> str:
    """The root feature_store.yaml with its registry and online store in ``directory``."""
    settings = yaml.safe_load((REPO_ROOT / "feature_store.yaml").read_text())
    settings["registry"]["path"] = str(directory / "registry.db")
    settings["online_store"]["path"] = str(directory / "online_store.db")
    config = directory / "feature_store.yaml"
    config.write_text(yaml.safe_dump(settings, sort_keys=False))
    return str(config)


@pytest.mark.integration
def test_the_demo_prints_no_warning(tmp_path):
    commands = demo_commands()
    assert [c.split()[1] for c in commands[:3]] == ["generate-data", "build-features", "-m"]
    assert "feature_repo.cli.feast_cli apply" in commands[2]
    commands[0] += " --seed 7 --scale 0.05"  # 622 users: the same code on small data
    env = {**os.environ, "COLUMNS": WIDTH, "DELIVERY_FS_DATA_DIR": str(tmp_path / "data")}
    env["FEAST_FS_YAML_FILE_PATH"] = store_config(tmp_path)
    env.pop("PYTHONWARNINGS", None)  # the Makefile no longer sets it: nothing hides a warning

    def run(line: str) -> str:
        result = subprocess.run(
            ["bash", "-c", line], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
            timeout=TIME_LIMIT,
        )  # fmt: skip
        output = result.stdout + result.stderr
        assert result.returncode == 0, f"{line} failed ({result.returncode}):\n{output}"
        return output

    outputs = {}
    for line in commands:
        outputs[line] = run(line)
        if line.endswith("build-features"):
            # Feast's own `feast` command, without the hook, does print the warning the demo hides.
            plain = run(f"{BIN_DIR}/feast apply")
            assert "RuntimeWarning: On demand feature view is an experimental feature" in plain
    warned = [f"{cmd}: {out_line}" for cmd, out in outputs.items() for out_line in out.splitlines()
              if "Warning" in out_line]  # fmt: skip
    assert warned == []
    trained = [out for cmd, out in outputs.items() if cmd.endswith("delivery-fs train")]
    assert len(trained) == 1 and "registered churn_model version 1" in trained[0]
