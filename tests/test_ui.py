"""Feast's UI, rendered by headless Chromium, lists this repository's feature views and services.

The expected names come from the definition modules themselves (every Feast object they define),
not from the registry the UI reads. Chromium is required: a missing browser fails the test.
"""

import importlib
import pkgutil
import re

import pytest
from feast import FeatureService
from feast.base_feature_view import BaseFeatureView

import feature_repo.definitions
from devtools.browser import rendered_dom
from devtools.local_servers import free_port, http_server
from devtools.ui_screenshot import feast_ui_command, project_of

pytestmark = pytest.mark.browser


def defined_objects(kind: type) -> set[str]:
    """Names of the objects of ``kind`` that the modules of ``feature_repo.definitions`` define."""
    names = set()
    for module_info in pkgutil.iter_modules(feature_repo.definitions.__path__):
        module = importlib.import_module(f"feature_repo.definitions.{module_info.name}")
        names |= {value.name for value in vars(module).values() if isinstance(value, kind)}
    return names


def listed(dom: str, project: str, page: str) -> set[str]:
    """The objects a list page links to: ``/p/<project>/<page>/<name>``."""
    return set(re.findall(rf'href="/p/{re.escape(project)}/{page}/([^"/?#]+)"', dom))


@pytest.fixture(scope="module")
def ui(store_config):
    port = free_port()
    with http_server(feast_ui_command(store_config, port), port) as url:
        yield url, project_of(store_config)


@pytest.mark.parametrize(
    ("page", "kind"), [("feature-view", BaseFeatureView), ("feature-service", FeatureService)]
)
def test_the_ui_lists_every_defined_object(ui, page, kind):
    url, project = ui
    expected = defined_objects(kind)
    assert len(expected) >= 3, expected  # the definitions were found at all
    dom = rendered_dom(f"{url}/p/{project}/{page}")
    assert listed(dom, project, page) == expected, dom[-3000:]
