"""Every documented command, run as a user would in a fresh copy of the repository, fails with a
clear message, a non-zero exit and no traceback: before any data exists, and after the demo data is
built with a store removed (the online store's database, then the registry).

The copy holds the repository's files without ``data/*.db`` (a copied registry names the original's
SQLite tables, and ``feast apply`` in the copy would drop them), and its commands import the copy's
package.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

from feature_repo.core.paths import REPO_ROOT
from tests.cli_runner import BIN_DIR
from tests.sagemaker.test_cli_help import SAGEMAKER_SUBCOMMANDS
from tests.test_cli_and_docs import SUBCOMMANDS

DEMO_SCALE = "0.05"
NO_BUILD = "No feature build found"
NOT_APPLIED = "run `feast apply` first"
NO_ONLINE_TABLES = "SQLite online store at"
_NOT_IN_A_CLONE = shutil.ignore_patterns(".venv", ".git", "__pycache__", "*.egg-info", ".*_cache")

# (command line, what the error line must say), before `make demo` has run: first the commands
# that stop before opening the store (they run side by side), then those that open it (Feast
# starts an empty registry then, so they run one at a time).
BEFORE_ANY_DATA = [
    (["generate-data", "--scale", "0"], "--scale must be positive"),
    (["build-features"], "users.csv: file not found"),
    (["data-horizon"], NO_BUILD),
    (["check-quality"], NO_BUILD),
    (["backfill-online"], NO_BUILD),
    (["show-training-frame"], NO_BUILD),
    (["show-online"], NO_BUILD),
    (
        [
            "training-set",
            "--service",
            "churn_model_v1",
            "--entities",
            "rows.parquet",
            "--name",
            "t",
        ],
        "rows.parquet: no such entity file",
    ),
    (["training-set", "--from-manifest", "t.manifest.json"], "not a training-set manifest"),
    (["training-set"], "pass --service, --entities and --name"),
]
BEFORE_ANY_DATA_WITH_A_STORE = [
    (["skew-check"], NOT_APPLIED),
    (["status"], NOT_APPLIED),
    *[(["sagemaker", command], NOT_APPLIED) for command in SAGEMAKER_SUBCOMMANDS],
]

# After the demo data is built and loaded, with the online store's database removed ...
WITHOUT_ONLINE_STORE = [
    (["show-online"], NO_ONLINE_TABLES),
    (["skew-check"], NO_ONLINE_TABLES),
]
# ... or the registry removed (Feast then starts an empty one).
WITHOUT_REGISTRY = [
    (["show-online"], "Feature service checkout_model_v1 does not exist"),
    (["show-training-frame"], "Feature service churn_model_v1 does not exist"),
    (["backfill-online"], NOT_APPLIED),
    (["skew-check"], NOT_APPLIED),
    (["status"], NOT_APPLIED),
    (["sagemaker", "verify"], NOT_APPLIED),
]


def fresh_copy(target: Path) -> Path:
    """The repository's tracked and new files (what a clone plus the work at hand holds) in
    ``target``; outside a git checkout, the tree without its environment and generated data."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
    )
    if listed.returncode != 0:
        shutil.copytree(REPO_ROOT, target, dirs_exist_ok=True, ignore=_NOT_IN_A_CLONE)
        shutil.rmtree(target / "data", ignore_errors=True)
        (target / "data").mkdir()
        return target
    for name in filter(None, (entry.decode() for entry in listed.stdout.split(b"\0"))):
        source = REPO_ROOT / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    assert not list((target / "data").glob("*.db"))
    return target


def run_in(copy: Path, *args: str) -> subprocess.CompletedProcess:
    """A console command of this environment, run from ``copy`` with ``copy``'s package and data."""
    env = {**os.environ, "PYTHONPATH": str(copy), "DELIVERY_FS_DATA_DIR": str(copy / "data")}
    env.pop("FEAST_FS_YAML_FILE_PATH", None)
    return subprocess.run(
        [str(BIN_DIR / args[0]), *args[1:]], cwd=copy, capture_output=True, text=True, env=env
    )


def failures_of(
    copy: Path, cases: list[tuple[list[str], str]], side_by_side: bool = False
) -> list[str]:
    """The cases whose command did not end with exit code 2, one error line saying ``expected``,
    and no traceback."""
    with ThreadPoolExecutor(max_workers=2 if side_by_side else 1) as pool:
        results = list(pool.map(lambda case: run_in(copy, "delivery-fs", *case[0]), cases))
    failures = []
    for (args, expected), result in zip(cases, results, strict=True):
        output = result.stdout + result.stderr
        error_line = " ".join(result.stderr.split())  # the console wraps long lines
        if result.returncode != 2 or "Traceback" in output or "error: " not in result.stderr:
            failures.append(f"{args}: exit {result.returncode}\n{output[-2000:]}")
        elif expected not in error_line:
            failures.append(f"{args}: expected {expected!r} in\n{result.stderr}")
    return failures


@contextmanager
def removed(path: Path) -> Iterator[None]:
    """``path`` moved away (and whatever a command creates in its place dropped), then put back."""
    kept = path.with_name(path.name + ".kept")
    path.rename(kept)
    try:
        yield
    finally:
        path.unlink(missing_ok=True)
        kept.rename(path)


def test_every_command_that_reads_data_or_a_store_is_exercised():
    exercised = {args[0] for args, _ in BEFORE_ANY_DATA + BEFORE_ANY_DATA_WITH_A_STORE}
    assert set(SUBCOMMANDS) - {"catalogue"} == exercised  # catalogue reads the definitions only
    sagemaker = {args[1] for args, _ in BEFORE_ANY_DATA_WITH_A_STORE if args[0] == "sagemaker"}
    assert sagemaker == set(SAGEMAKER_SUBCOMMANDS)


def test_commands_before_any_data_exists(tmp_path):
    copy = fresh_copy(tmp_path)
    assert run_in(copy, "delivery-fs", "--help").returncode == 0
    assert failures_of(copy, BEFORE_ANY_DATA, side_by_side=True) == []
    assert failures_of(copy, BEFORE_ANY_DATA_WITH_A_STORE) == []
    plan = run_in(copy, "feast", "plan")  # the definitions import without any data
    assert plan.returncode == 0 and "Traceback" not in plan.stdout + plan.stderr, plan.stderr


def demo_copy(target: Path) -> Path:
    """A fresh copy with the demo's data built, applied and loaded online (at a small scale)."""
    copy = fresh_copy(target)
    for args in (
        ["delivery-fs", "generate-data", "--scale", DEMO_SCALE],
        ["delivery-fs", "build-features"],
        ["feast", "apply"],
        ["delivery-fs", "backfill-online"],
    ):
        result = run_in(copy, *args)
        assert result.returncode == 0, f"{args}: {result.stdout}\n{result.stderr}"
    return copy


def test_commands_after_the_demo_with_a_store_removed(tmp_path):
    """One test, so that a parallel run builds the demo copy once."""
    copy = demo_copy(tmp_path)
    with removed(copy / "data" / "online_store.db"):
        assert failures_of(copy, WITHOUT_ONLINE_STORE) == []
    assert run_in(copy, "delivery-fs", "show-online").returncode == 0  # put back, it reads
    failures = []
    for case in WITHOUT_REGISTRY:  # each command may start an empty registry: one removal each
        with removed(copy / "data" / "registry.db"):
            failures += failures_of(copy, [case])
    assert failures == []
