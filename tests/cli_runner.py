"""Running the environment's console commands (``delivery-fs``, ``feast``) as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from feature_repo.paths import REPO_ROOT

BIN_DIR = Path(sys.executable).parent
WIDTH = "400"  # rich's console width: messages read whole, however long the temporary paths are


def run_cli(*args: str, check: bool = True, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a console command of this environment from the repository root and capture its output."""
    result = subprocess.run(
        [str(BIN_DIR / args[0]), *args[1:]],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": WIDTH, **(env or {})},
    )
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result
