"""On a phone (390 px wide, issue 14) and on a desktop (1440 px), in French and in English, the agency's
portfolio and a client's dashboard fit the window: the document is never wider than the viewport, so
nobody scrolls the page sideways (a wide table scrolls inside its own container). A screenshot of each
case goes to artifacts/first-hour/ (fr-portfolio-390.png, en-dashboard-1440.png, …)."""

from __future__ import annotations

import pytest

from tests import first_hour
from tests.first_hour import AGENCY_OWNER, LANGUAGES, VIEWER, VIEWER_SLUG, WIDTHS, log_in, shot

demo_server, new_page = first_hour.demo_server, first_hour.new_page  # the module's fixtures

# How far the page reaches past the window, and which elements stick out (named, with their right edge,
# for the failure message). Inside a .table-scroll only absolutely positioned ones can widen the page: the
# container clips the rest.
OVERFLOW_JS = """() => {
    const width = window.innerWidth;
    const wide = [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > width
                     && (!e.parentElement.closest('.table-scroll') || getComputedStyle(e).position === 'absolute'))
        .slice(0, 5)
        .map(e => e.tagName.toLowerCase() + (typeof e.className === 'string' && e.className
            ? '.' + e.className.split(' ').join('.') : '') + '@' + e.getBoundingClientRect().right);
    return {scroll_width: document.documentElement.scrollWidth, inner_width: width, wide: wide};
}"""
# The page's heading in each language: the page really is in the language the test chose.
PORTFOLIO_TITLE = {"fr": "Portefeuille", "en": "Portfolio"}
CHARTS_TITLE = {"fr": "Graphiques", "en": "Charts"}


def _assert_fits(page, width: int, where: str) -> None:
    measured = page.evaluate(OVERFLOW_JS)
    assert measured["inner_width"] == width, measured
    assert measured["scroll_width"] <= measured["inner_width"], f"{where} at {width} px: {measured}"


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_the_portfolio_fits_a_desktop_and_a_phone(new_page, language):
    page = new_page()
    log_in(page, AGENCY_OWNER, language)
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        page.goto("/")
        page.wait_for_selector("[data-testid=portfolio]")
        assert page.locator("h1").first.inner_text() == PORTFOLIO_TITLE[language]
        # the table is all there: it scrolls inside its own container, not the page
        assert page.locator("[data-testid=portfolio] tbody tr").count() > 0
        shot(page, f"{language}-portfolio-{width}")  # before the assertion: the picture shows a failure
        _assert_fits(page, width, f"{language} portfolio")
    page.context.close()


@pytest.mark.browser
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_client_dashboard_fits_a_desktop_and_a_phone(new_page, language):
    page = new_page()
    log_in(page, VIEWER, language)
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        page.goto(f"/c/{VIEWER_SLUG}/")
        page.wait_for_selector("#dashboard[data-loaded=true]")
        assert page.locator("canvas[data-drawn=true]").count() > 0
        assert page.locator("#charts-title").inner_text() == CHARTS_TITLE[language]
        shot(page, f"{language}-dashboard-{width}")
        _assert_fits(page, width, f"{language} dashboard")
    page.context.close()
