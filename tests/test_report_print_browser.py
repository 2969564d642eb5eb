"""A client report's print view in a real browser, loaded from a file as the PDF worker loads it: the
charts are drawn from the page's own data (the ready flag is set, every canvas has pixels), nothing
is fetched from anywhere, and the layout is the same on screen and in print (the canvases keep their
size when the page switches to print media), so what chromium prints is what a person sees."""

from __future__ import annotations

from datetime import date

import pytest

from dashboards.report_print import report_html
from dashboards.report_sections import DEFAULT_REPORT_SECTIONS
from tests.browser import CHROMIUM_ARGS, chromium_path

# Pixels of each canvas that are not transparent: a drawn chart has thousands, an empty canvas none.
PAINTED_JS = """() => Array.from(document.querySelectorAll('canvas')).map(c => {
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
    return {id: c.dataset.canvas, painted: painted, width: c.getBoundingClientRect().width,
            height: c.getBoundingClientRect().height};
})"""


@pytest.mark.browser
def test_the_print_view_draws_its_charts_from_a_file_without_the_network(golden, in_alpha, tmp_path):
    from playwright.sync_api import sync_playwright

    # given the golden example's March report as a file, as the PDF worker writes it
    page_file = tmp_path / "report.html"
    page_file.write_text(
        report_html(
            period_start=date(2026, 3, 1), period_end=date(2026, 3, 31), language="fr", sections=DEFAULT_REPORT_SECTIONS
        ),
        encoding="utf-8",
    )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            requests, errors = [], []
            page.on("request", lambda request: requests.append(request.url))
            page.on("pageerror", lambda error: errors.append(str(error)))
            # when a browser opens it
            page.goto(page_file.as_uri())
            # then the page says its charts are drawn, and every canvas has been painted
            page.wait_for_selector("#dashboard[data-loaded=true]", timeout=10_000)
            screen = page.evaluate(PAINTED_JS)
            assert len(screen) >= 10
            assert all(c["painted"] > 500 for c in screen), screen
            assert page.locator("[data-role=loading]:visible").count() == 0
            # and nothing was asked of any server: the file itself is the only request
            assert requests == [page_file.as_uri()] and errors == []
            # and in print the charts keep the size they were drawn at (one layout for screen and paper)
            page.emulate_media(media="print")
            printed = page.evaluate(PAINTED_JS)
            assert [(c["width"], c["height"]) for c in printed] == [(c["width"], c["height"]) for c in screen]
        finally:
            browser.close()
