"""The command line answers --help everywhere; the catalogue page matches the definitions."""

import pytest

from feature_repo.definitions import on_demand, order_ledger, transaction_features, user_features
from feature_repo.repository.catalogue import catalogue_markdown, update_catalogue_page
from tests.cli_runner import run_cli

SUBCOMMANDS = [
    "generate-data", "build-features", "data-horizon", "backfill-online",
    "show-training-frame", "show-online", "catalogue", "check-quality",
    "training-set", "skew-check", "status", "sagemaker",
]  # fmt: skip


@pytest.mark.parametrize("subcommand", [None, *SUBCOMMANDS])
def test_help(subcommand):
    args = ["delivery-fs", *([subcommand] if subcommand else []), "--help"]
    result = run_cli(*args)
    assert "Usage" in result.stdout
    if subcommand is None:
        assert all(name in result.stdout for name in SUBCOMMANDS)


@pytest.mark.parametrize("command", ["sagemaker-emulator", "delivery-fs-bench"])
def test_development_commands_answer_help(command):
    assert "usage" in run_cli(command, "--help").stdout.lower()


def test_catalogue_page_is_up_to_date():
    assert not update_catalogue_page(check=True), (
        "run `delivery-fs catalogue` and commit docs/catalogue.md"
    )


def test_catalogue_lists_every_feature_once():
    markdown = catalogue_markdown()
    views = [user_features.user_profile, user_features.user_order_stats, transaction_features.transaction_features,
             on_demand.user_recency, on_demand.checkout_context,
             order_ledger.user_order_ledger]  # fmt: skip
    for view in views:
        for field in view.features:
            assert markdown.count(f"| {view.name} | `{field.name}` |") == 1, (view.name, field.name)
    assert "birth_date`" not in markdown  # personal data that is never served


def test_feast_apply_ignores_everything_but_the_definitions():
    from pathlib import Path

    from feast.repo_operations import get_repo_files

    from feature_repo.core.paths import REPO_ROOT

    files = {Path(p).relative_to(REPO_ROOT).as_posix() for p in get_repo_files(REPO_ROOT)}
    assert files and all(f.startswith("feature_repo/definitions/") for f in files), files


def test_feastignore_skips_hidden_directories_and_tools(tmp_path):
    """In a root holding the project's .feastignore, Feast lists only the definitions: not a
    hidden directory's modules (``make feast-online-store-tests`` copies Feast's tests into
    ``.feast-suite/``), nor the package's other modules, nor the tools."""
    import shutil

    from feast.repo_operations import get_repo_files

    from feature_repo.core.paths import REPO_ROOT

    shutil.copy(REPO_ROOT / ".feastignore", tmp_path)
    kept = tmp_path / "feature_repo" / "definitions" / "views.py"
    skipped = [
        ".feast-suite/run/tests/test_universal.py", ".cache/module.py",
        "feature_repo/serving/app.py", "feature_repo/demo.py", "tools/devtools/run.py",
    ]  # fmt: skip
    for relative in [*skipped, kept.relative_to(tmp_path).as_posix()]:
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text("")
    assert get_repo_files(tmp_path) == [kept.resolve()]
