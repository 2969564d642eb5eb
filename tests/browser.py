"""Playwright driving Debian's chromium (no browser download: the machine's own build)."""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import pytest

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
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"

# The browser's own timing of a dashboard load: first paint, navigation milestones and the charts'
# API request (the browser test records it, bench/first_paint.py prints it).
DASHBOARD_TIMING_JS = """() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const paint = performance.getEntriesByName('first-contentful-paint')[0];
    const api = performance.getEntriesByType('resource').find(r => r.name.includes('/api/v1/dashboard/'));
    return {first_contentful_paint_ms: paint.startTime, response_end_ms: nav.responseEnd,
            dom_content_loaded_ms: nav.domContentLoadedEventEnd, load_ms: nav.loadEventEnd,
            charts_api_ms: api.responseEnd - api.startTime};
}"""


def chromium_path() -> str:
    """Debian's chromium, or a skip locally; under CI a missing browser is a failure, not a skip."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        if os.environ.get("CI") == "true":
            pytest.fail("chromium is not installed: .ci/run must install Debian's chromium")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return path


@contextmanager
def browser_page(base_url: str):
    with browser_people(base_url) as new_page:
        yield new_page()


@contextmanager
def browser_people(base_url: str):
    """One chromium for several people: ``new_page()`` opens a page in a fresh context (cookies of its
    own, as another person's browser would have), closed with the browser."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)

        def new_page():
            return browser.new_context(base_url=base_url, locale="fr-FR").new_page()

        try:
            yield new_page
        finally:
            browser.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
