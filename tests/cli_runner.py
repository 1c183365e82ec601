"""Running the environment's console commands (``delivery-fs``, ``feast``) as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from feature_repo.core.paths import REPO_ROOT

BIN_DIR = Path(sys.executable).parent
WIDTH = "400"  # rich's console width: messages read whole, however long the temporary paths are
TIME_LIMIT = 900  # seconds: the longest command of the suite (a build, Spark) takes about a minute


def run_cli(
    *args: str, check: bool = True, env: dict | None = None, timeout: float = TIME_LIMIT
) -> subprocess.CompletedProcess:
    """Run a console command of this environment from the repository root and capture its output;
    a command still running after ``timeout`` seconds is killed and fails the test, naming it."""
    try:
        result = subprocess.run(
            [str(BIN_DIR / args[0]), *args[1:]],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            env={**os.environ, "COLUMNS": WIDTH, **(env or {})},
            timeout=timeout,
        )
    except subprocess.TimeoutExpired as expired:
        output = [_text(expired.stdout), _text(expired.stderr)]
        raise AssertionError(
            f"{' '.join(args)} still ran after {timeout:g} s (killed):\n" + "\n".join(output)
        ) from None
    if check and result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
        )
    return result


def _text(output: bytes | str | None) -> str:
    """What a killed command had printed (``TimeoutExpired`` keeps bytes even with ``text=True``)."""
    return output.decode(errors="replace") if isinstance(output, bytes) else output or ""
