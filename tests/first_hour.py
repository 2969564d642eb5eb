"""What the first-hour browser tests share (issue 14): the demo served by gunicorn, one chromium per test
module, and a person who picks their language with the product's own switch before logging in.

The language is chosen on the login page, as a visitor would: the switch sets the language cookie, which
wins over the user's saved preference, and (signed out) saves nothing on the demo user, so the French and
English cases of one module never change each other's language. Screenshots go to artifacts/first-hour/.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.seed import DEMO_PASSWORD, demo_accounts_seed
from tests.browser import ARTIFACTS, browser_people, screenshot
from tests.processes import free_port, start_web, stop

LANGUAGES = ["fr", "en"]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}
WIDTHS = {1440: DESKTOP, 390: PHONE}
AGENCY_OWNER = "direction@agence-demo.fr"
VIEWER, VIEWER_SLUG = "lecture@velo-nord.fr", "velo-nord"


@pytest.fixture(scope="module")
def demo_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo accounts, committed, served by gunicorn as `make demo` serves them."""
    with django_db_blocker.unblock():
        demo_accounts_seed()
    port = free_port()
    process = start_web(port, Path(tmp_path_factory.mktemp("web")) / "gunicorn.log")
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.fixture(scope="module")
def new_page(demo_server):
    """One chromium for the module; each call opens a page in a fresh context (no cookies: a new person)."""
    with browser_people(demo_server) as opener:
        yield opener


def choose_language(page, language: str) -> None:
    """Click the top bar's language switch (FR/EN) on the page shown, and check the page now speaks it."""
    with page.expect_navigation():
        page.click(f".language-switch button[name=language][value={language}]")
    assert page.locator("html").get_attribute("lang") == language


def log_in(page, email: str, language: str) -> None:
    page.goto("/")
    choose_language(page, language)
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    assert page.locator("html").get_attribute("lang") == language


def shot(page, name: str) -> Path:
    return screenshot(page, f"first-hour/{name}")


def shot_of(locator, name: str) -> Path:
    """A picture of one element (a card, a sparkline) rather than the whole page."""
    path = ARTIFACTS / "first-hour" / f"{name}.png"
    locator.screenshot(path=str(path))
    return path
