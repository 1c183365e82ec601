"""The package keeps its shape: import-linter's contracts hold, and docs/imports.md is current."""

from devtools.import_graph import DOCUMENT, render
from tests.cli_runner import run_cli


def test_import_contracts_are_kept():
    result = run_cli("lint-imports", "--no-cache", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def test_import_graph_document_is_current():
    assert DOCUMENT.read_text() == render(), "run `python -m devtools.import_graph` and commit"
