"""On a phone (390 px wide, issue 14) and on a desktop (1440 px), the agency's portfolio and a client's
dashboard fit the window: the document is never wider than the viewport, so nobody scrolls the page
sideways (a wide table scrolls inside its own container). Screenshots at 390 px go to artifacts/."""

from __future__ import annotations

from pathlib import Path

import pytest

from demo.seed import DEMO_PASSWORD, demo_accounts_seed
from tests.browser import browser_page, screenshot
from tests.processes import free_port, start_web, stop

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1440, "height": 900}

# How far the page reaches past the window, and which elements stick out (named for the failure message).
OVERFLOW_JS = """() => {
    const width = window.innerWidth;
    const wide = [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > width + 1)
        .slice(0, 5)
        .map(e => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className
            ? '.' + e.className.split(' ').join('.') : ''));
    return {scroll_width: document.documentElement.scrollWidth, inner_width: width, wide: wide};
}"""


@pytest.fixture(scope="module")
def demo_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo accounts, committed, served by gunicorn as `make demo` serves them."""
    with django_db_blocker.unblock():
        demo_accounts_seed()
    port = free_port()
    process = start_web(port, Path(tmp_path_factory.mktemp("web")) / "gunicorn.log")
    yield f"http://127.0.0.1:{port}"
    stop(process)


def _log_in(page, email: str) -> None:
    page.goto("/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")


def _assert_fits(page, where: str) -> None:
    measured = page.evaluate(OVERFLOW_JS)
    assert measured["scroll_width"] <= measured["inner_width"], f"{where}: {measured}"


@pytest.mark.browser
def test_the_portfolio_fits_a_phone_and_a_desktop(demo_server):
    with browser_page(demo_server) as page:
        page.set_viewport_size(PHONE)
        _log_in(page, "direction@agence-demo.fr")
        page.wait_for_selector("[data-testid=portfolio]")
        _assert_fits(page, "portfolio at 390 px")
        screenshot(page, "portfolio-390")
        # the table is still all there: it scrolls inside its own container, not the page
        assert page.locator("[data-testid=portfolio] tbody tr").count() > 0
        page.set_viewport_size(DESKTOP)
        page.reload()
        page.wait_for_selector("[data-testid=portfolio]")
        _assert_fits(page, "portfolio at 1440 px")


@pytest.mark.browser
def test_a_client_dashboard_fits_a_phone_and_a_desktop(demo_server):
    with browser_page(demo_server) as page:
        page.set_viewport_size(PHONE)
        _log_in(page, "lecture@velo-nord.fr")
        page.wait_for_url("**/c/velo-nord/")
        page.wait_for_selector("#dashboard[data-loaded=true]")
        assert page.locator("canvas[data-drawn=true]").count() > 0
        _assert_fits(page, "dashboard at 390 px")
        screenshot(page, "dashboard-390")
        page.set_viewport_size(DESKTOP)
        page.reload()
        page.wait_for_selector("#dashboard[data-loaded=true]")
        _assert_fits(page, "dashboard at 1440 px")
