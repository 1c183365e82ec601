"""The documentation site builds strictly, and every page, opened in headless Chromium, has content
and links only to pages and anchors that exist.

The site is built from ``mkdocs.yml`` into a temporary directory (``mkdocs build --strict``: a broken
link or an API page whose module does not import fails the build), served over loopback HTTP and
rendered page by page by Chromium (``tools/devtools/browser.py``); the links and element ids are read
from the rendered DOM. Chromium is required: a missing browser fails the tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urldefrag, urljoin, urlsplit

import pytest
import requests

from devtools.browser import rendered_dom
from devtools.local_servers import free_port, http_server
from feature_repo.core.paths import REPO_ROOT

pytestmark = [pytest.mark.integration, pytest.mark.browser]

DOCS = REPO_ROOT / "docs"
README = REPO_ROOT / "README.md"
MIN_CONTENT_WORDS = 30  # the shortest page (the API page's introduction alone) has more
BROWSERS_AT_ONCE = 4


class PageParser(HTMLParser):
    """The links, the element ids and the text of the content area (Material's ``<article>``)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.article_depth = 0
        self.article_text: list[str] = []
        self.headings: list[str] = []
        self._in_heading = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("href") is not None:
            self.links.append(attributes["href"])
        if tag == "article" or self.article_depth:
            self.article_depth += 1 if tag not in VOID_TAGS else 0
        if self.article_depth and tag == "h1":
            self._in_heading = True

    def handle_endtag(self, tag: str) -> None:
        if self.article_depth and tag not in VOID_TAGS:
            self.article_depth -= 1
        if tag == "h1":
            self._in_heading = False

    def handle_data(self, data: str) -> None:
        if self.article_depth:
            self.article_text.append(data)
            if self._in_heading and data.strip() and data.strip() != "¶":
                self.headings.append(data.strip())


VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
             "track", "wbr"}  # fmt: skip


def page_path(markdown: Path) -> str:
    """The URL path mkdocs gives a page (``use_directory_urls``): ``a/b.md`` -> ``/a/b/``."""
    relative = markdown.relative_to(DOCS).with_suffix("").as_posix()
    if relative == "index":
        return "/"
    if relative.endswith("/index"):
        return "/" + relative.removesuffix("index")
    return f"/{relative}/"


@pytest.fixture(scope="module")
def built_site(tmp_path_factory) -> Path:
    site = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--clean",
         "--config-file", str(REPO_ROOT / "mkdocs.yml"), "--site-dir", str(site)],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-4000:]
    return site


@pytest.fixture(scope="module")
def rendered(built_site) -> dict:
    """Every HTML page of the built site rendered by Chromium (``pages``, by URL path), and the HTTP
    status of every other file of the site a page links to (``files``)."""
    paths = sorted(
        "/" + html.relative_to(built_site).as_posix().removesuffix("index.html")
        for html in built_site.rglob("*.html")
        if html.name != "404.html"
    )
    port = free_port()
    command = ["python", "-m", "http.server", str(port), "--bind", "127.0.0.1",
               "--directory", str(built_site)]  # fmt: skip
    with http_server(command, port) as url:

        def render(path: str) -> PageParser:
            parser = PageParser()
            parser.feed(rendered_dom(url + path))
            return parser

        with ThreadPoolExecutor(BROWSERS_AT_ONCE) as pool:
            pages = dict(zip(paths, pool.map(render, paths), strict=True))
        files = {
            href
            for page, parser in pages.items()
            for href in internal_targets(page, parser.links)
            if not href.endswith("/")
        }
        answers = {path: requests.get(url + path, timeout=30).status_code for path in files}
    return {"pages": pages, "files": answers}


def internal_targets(page: str, links: list[str]) -> list[str]:
    """The site paths (fragment removed) the page links to; links off the site are left out."""
    targets = []
    for href in links:
        absolute = urljoin(f"http://site{page}", href)
        parts = urlsplit(absolute)
        if parts.netloc == "site" and parts.scheme == "http":
            targets.append(unquote(parts.path))
    return targets


def test_every_markdown_page_is_built_and_rendered(rendered):
    expected = {page_path(markdown) for markdown in DOCS.rglob("*.md")}
    assert len(expected) >= 20, expected  # the pages were found at all
    assert set(rendered["pages"]) == expected


def test_no_page_renders_empty(rendered):
    empty = {}
    for path, parser in rendered["pages"].items():
        words = re.findall(r"\w+", " ".join(parser.article_text))
        if not parser.headings or len(words) < MIN_CONTENT_WORDS:
            empty[path] = (parser.headings, len(words))
    assert not empty, f"pages without a title or content (title, words): {empty}"


def test_every_internal_link_resolves(rendered):
    pages = rendered["pages"]
    broken = []
    for page, parser in pages.items():
        for href in parser.links:
            absolute = urljoin(f"http://site{page}", href)
            parts = urlsplit(absolute)
            if parts.scheme != "http" or parts.netloc != "site":
                continue  # off the site (Feast's docs, the theme's GitHub link)
            target, fragment = urldefrag(absolute)
            path = unquote(urlsplit(target).path)
            if path.endswith("/"):
                if path not in pages:
                    broken.append((page, href, "no such page"))
                elif fragment and unquote(fragment) not in pages[path].ids:
                    broken.append((page, href, "no such anchor"))
            elif rendered["files"][path] != 200:
                broken.append((page, href, f"HTTP {rendered['files'][path]}"))
    links = sum(len(parser.links) for parser in pages.values())
    assert links > 200, links  # the links were read at all
    assert not broken, broken


def test_the_api_page_documents_the_serving_library(rendered):
    ids = rendered["pages"]["/api/"].ids
    for name in ("OnlineFeatureReader", "OnlineFeatureReader.read", "FeatureStatus", "ChurnScorer"):
        assert any(i.endswith(f".{name}") for i in ids), (name, sorted(ids)[:40])


def test_the_readme_is_short_and_links_to_existing_pages():
    text = README.read_text()
    assert len(text.splitlines()) < 200
    targets = re.findall(r"\]\((?!https?://)([^)#\s]+)", text)
    assert "docs/getting-started.md" in targets
    missing = [t for t in targets if not (REPO_ROOT / t).exists()]
    assert not missing, missing
