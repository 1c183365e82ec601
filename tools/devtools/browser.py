"""Headless Chromium (Debian's ``chromium`` package) for the UI test and the README's screenshot.

Chromium renders a single-page app such as Feast's UI with ``--virtual-time-budget``: virtual time
does not advance while a request is pending, so after the budget the page has fetched its data
and drawn it. Each call uses a fresh profile directory and none of Chromium's background traffic.
A missing browser fails loudly with the way to install it; it is never skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = "chromium"
RENDER_BUDGET_MS = 20_000
TIMEOUT_SECONDS = 120
WINDOW_SIZE = "1440,900"
QUIET_FLAGS = (
    "--headless",
    "--no-sandbox",  # runs as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


class BrowserError(RuntimeError):
    """Chromium is missing or could not render a page."""


def require_chromium() -> str:
    """The path of Chromium; a clear error when it is not installed."""
    path = shutil.which(CHROMIUM)
    if not path:
        raise BrowserError(
            "`chromium` is required by the UI test and `make ui-screenshot` and was not found. "
            "Debian/Ubuntu: `sudo apt-get install -y chromium` (make test does it when run as root)."
        )
    return path


def _run(url: str, *action: str) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        command = [
            require_chromium(),
            *QUIET_FLAGS,
            f"--user-data-dir={profile}",
            f"--window-size={WINDOW_SIZE}",
            f"--virtual-time-budget={RENDER_BUDGET_MS}",
            *action,
            url,
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    if result.returncode != 0:
        raise BrowserError(
            f"chromium failed on {url} ({result.returncode}):\n{result.stderr[-2000:]}"
        )
    return result


def rendered_dom(url: str) -> str:
    """The page's DOM once its scripts have run and its requests have been answered."""
    return _run(url, "--dump-dom").stdout


def screenshot(url: str, path: Path) -> Path:
    """A PNG of the rendered page at ``WINDOW_SIZE``, written whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial.png")
    partial.unlink(missing_ok=True)
    _run(url, f"--screenshot={partial.resolve()}")
    if not partial.exists() or partial.stat().st_size == 0:
        raise BrowserError(f"chromium wrote no screenshot of {url}")
    os.replace(partial, path)
    return path
