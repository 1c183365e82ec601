"""``make ui-screenshot``: a PNG of Feast's UI on the applied store, for the README.

Starts ``feast ui`` on a free loopback port with the selected profile (``feature_store.yaml`` by
default, after ``make demo``), renders the project's feature views page in headless Chromium and
writes ``docs/feast-ui.png``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from devtools.browser import BrowserError, screenshot
from devtools.local_servers import LOOPBACK, free_port, http_server
from feature_repo.core.errors import FeatureStoreError
from feature_repo.core.paths import REPO_ROOT
from feature_repo.core.profiles import checked_config

DEFAULT_OUTPUT = REPO_ROOT / "docs" / "feast-ui.png"
PAGE = "feature-view"


def feast_ui_command(config: Path, port: int) -> list[str]:
    """``feast ui`` of this environment on ``config``, listening on ``port`` of the loopback."""
    return ["feast", "-f", str(config), "ui", "-h", LOOPBACK, "-p", str(port)]


def project_of(config: Path) -> str:
    """The Feast project a feature_store.yaml names."""
    return yaml.safe_load(config.read_text())["project"]


def applied_view_count(config: Path) -> int:
    """How many feature views the registry of ``config`` holds (0 before ``feast apply``)."""
    from feast import FeatureStore

    store = FeatureStore(fs_yaml_file=config, repo_path=REPO_ROOT)
    return len(store.list_all_feature_views())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="the PNG to write")
    args = parser.parse_args(argv)
    try:
        config = checked_config()
        if applied_view_count(config) == 0:
            print(f"error: {config} has no applied feature views: run `make demo` first.")
            return 2
        port = free_port()
        page = f"/p/{project_of(config)}/{PAGE}"
        with http_server(feast_ui_command(config, port), port) as url:
            path = screenshot(url + page, args.output)
    except (FeatureStoreError, BrowserError, RuntimeError) as error:
        print(f"error: {error}")
        return 2
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
