"""Every `delivery-fs sagemaker` subcommand answers --help."""

import pytest

from tests.cli_runner import run_cli

SAGEMAKER_SUBCOMMANDS = [
    "plan",
    "apply",
    "destroy",
    "ingest",
    "verify",
]  # the emulator: `sagemaker-emulator`


@pytest.mark.parametrize("subcommand", SAGEMAKER_SUBCOMMANDS)
def test_sagemaker_help(subcommand):
    result = run_cli("delivery-fs", "sagemaker", subcommand, "--help")
    assert "Usage" in result.stdout


def test_sagemaker_group_lists_its_subcommands():
    result = run_cli("delivery-fs", "sagemaker", "--help")
    assert all(name in result.stdout for name in SAGEMAKER_SUBCOMMANDS)
