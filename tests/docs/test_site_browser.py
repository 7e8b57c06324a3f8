"""The built site in a real headless browser: Debian's Chromium, driven by Playwright.

The site is served from a local ``http.server`` thread on 127.0.0.1. Each check opens pages as a
reader would and records every console message and every request: a page must render without a
console error and ask nothing of any host but 127.0.0.1. Playwright drives the system's
``/usr/bin/chromium`` (``.ci/run`` installs it with apt-get in CI); ``playwright install`` is
never needed. Without Chromium the tests fail in CI (``CI=true``) and are skipped elsewhere.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from docs_site_helpers import Build, build_site

import warmcos

pytestmark = pytest.mark.slow

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IN_CI = os.environ.get("CI", "").lower() == "true"


def _missing(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (CI installs it: see .ci/run)")
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def site_url() -> Iterator[str]:
    build: Build = build_site()
    assert build.returncode == 0, build.output[-3000:]
    handler = functools.partial(_QuietHandler, directory=str(build.site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        _missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("Playwright is not installed (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        executable = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class Visit:
    """A browser page with what it logged and asked for."""

    page: Any
    errors: list[str] = field(default_factory=list)
    hosts: set[str] = field(default_factory=set)

    def check_clean(self) -> None:
        assert self.errors == [], self.errors
        assert self.hosts <= {"127.0.0.1"}, self.hosts


@pytest.fixture
def visit(browser: Any) -> Iterator[Visit]:
    context = browser.new_context()
    page = context.new_page()
    seen = Visit(page)
    page.on(
        "console", lambda m: seen.errors.append(m.text) if m.type in ("error", "assert") else None
    )
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    page.on("request", lambda request: seen.hosts.add(urlsplit(request.url).hostname or ""))
    try:
        yield seen
    finally:
        context.close()


def test_home_page_renders_with_title_and_figure(site_url: str, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{site_url}/index.html", wait_until="networkidle")
    assert page.title() == f"warmcos {warmcos.__version__}"
    figure = page.locator("article img[src*='figures/']").first
    figure.scroll_into_view_if_needed()
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=figure.element_handle()
    )
    assert figure.evaluate("img => img.naturalWidth") > 0
    visit.check_clean()


def test_schedule_page_shows_formula_figures_and_peers(site_url: str, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{site_url}/schedules/cosine_restarts.html", wait_until="networkidle")
    assert page.title().startswith("cosine_restarts - warmcos")
    images = page.locator("article img[src*='figures/']")
    assert images.count() >= 1
    for index in range(images.count()):
        image = images.nth(index)
        image.scroll_into_view_if_needed()
        page.wait_for_function("img => img.complete", arg=image.element_handle())
        assert image.evaluate("img => img.naturalWidth") > 0
    # MathML, rendered by the browser itself: it takes up room on the page.
    formula = page.locator("article math[display='block']").first
    assert formula.bounding_box()["height"] > 20
    assert page.locator("article table").filter(has_text="CosineAnnealingWarmRestarts").count()
    visit.check_clean()


@pytest.mark.parametrize("name", ["inverse_sqrt", "cosine_restarts"])
def test_search_finds_the_schedule_page(site_url: str, visit: Visit, name: str) -> None:
    page = visit.page
    page.goto(f"{site_url}/index.html", wait_until="networkidle")
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    first = page.locator(".md-search-result__item > a").first
    box = page.locator("input.md-search__input")
    # Typed as a reader types. A query typed before the search worker has built its index
    # finds nothing: type it again until results come (seconds on a loaded 2-core machine).
    for _ in range(6):
        box.fill("")
        box.press_sequentially(name, delay=20)
        try:
            first.wait_for(timeout=10_000)
            break
        except PlaywrightTimeout:
            continue
    first.wait_for(timeout=10_000)
    assert urlsplit(first.get_attribute("href")).path.endswith(f"/schedules/{name}.html")
    first.click()
    page.wait_for_url(f"**/schedules/{name}.html*")
    assert page.title().startswith(f"{name} - warmcos")
    visit.check_clean()


def test_api_reference_links_to_the_schedule_pages(site_url: str, visit: Visit) -> None:
    page = visit.page
    page.goto(f"{site_url}/reference/warmcos.html", wait_until="networkidle")
    assert page.locator("[id='warmcos.Cosine']").count() == 1
    page.locator("article a[href$='schedules/cosine.html']").first.click()
    page.wait_for_url("**/schedules/cosine.html")
    page.locator("article a[href*='reference/warmcos.html#warmcos.Cosine']").first.click()
    page.wait_for_url("**/reference/warmcos.html#warmcos.Cosine")
    visit.check_clean()
