"""In a real browser, on the demo data served by gunicorn: a client's manager adds a note from the
dashboard; every time-series chart marks it, and hovering or focusing the marker shows the note;
deleting it takes the marker away."""

from __future__ import annotations

import pytest

from tests import first_hour
from tests.browser import browser_page, screenshot

demo_server = first_hour.demo_server  # the demo accounts, committed, served by gunicorn (one home)
MANAGER, SLUG = "marketing@maison-lumiere.fr", "maison-lumiere"
TEXT = "Campagne de printemps lancée"
# The demo has notes of its own: this test's marker is the one that carries its text.
OURS = f'[data-testid=note-marker][aria-label*="{TEXT}"]'


def _is_dashboard_api(response) -> bool:
    return "/api/v1/dashboard/" in response.url


@pytest.mark.browser
def test_a_note_added_on_the_dashboard_is_marked_on_the_charts_and_hovering_shows_it(demo_server):
    with browser_page(demo_server) as page:
        violations = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        first_hour.log_in(page, MANAGER, "fr")
        with page.expect_response(_is_dashboard_api) as loaded:
            page.goto(f"/c/{SLUG}/")
        page.wait_for_selector("#dashboard[data-loaded=true]")
        # the charts the page drew, asked again (the browser may no longer hold the first answer's body)
        charts = page.evaluate("async (url) => (await (await fetch(url)).json()).charts", loaded.value.url)
        assert page.locator(OURS).count() == 0
        series = {c["id"]: c for c in charts}["leads_visits"]
        day = series["starts"][-2]  # a period the leads chart shows

        # when the manager notes a campaign launch on that day
        form = page.locator("details.notes-add")
        if form.get_attribute("open") is None:  # folded when the client has notes already (the demo's)
            form.locator("summary").click()
        page.fill("#note-start", day)
        page.fill("#note-text", TEXT)
        with page.expect_navigation():
            page.click("[data-testid=note-form] button[type=submit]")
        page.wait_for_selector("#dashboard[data-loaded=true]")

        # then it is listed beside the charts, and the leads chart marks it on its period
        assert TEXT in page.locator("[data-testid=notes]").inner_text()
        marker = page.locator(f"#chart-leads_visits {OURS}")
        assert marker.count() == 1
        tip = marker.locator(".note-tip")
        assert not tip.is_visible()
        # and hovering the marker shows the note
        marker.hover()
        tip.wait_for(state="visible")
        assert TEXT in tip.inner_text()
        assert TEXT in marker.get_attribute("aria-label")
        screenshot(page, "annotation-marker")
        # and so does the keyboard's focus, on another time-series chart too
        other = page.locator(f"#chart-mqls_by_channel {OURS}")
        if page.locator("#chart-mqls_by_channel canvas[data-drawn=true]").count():
            assert other.count() == 1
            other.focus()
            assert other.locator(".note-tip").is_visible()
        # and a chart that is no time series has none
        assert page.locator("#chart-funnel [data-testid=note-marker]").count() == 0
        # the marker sits over its period: between the chart's left and right edges
        box, canvas = marker.bounding_box(), page.locator("#chart-leads_visits canvas").bounding_box()
        assert canvas["x"] < box["x"] + box["width"] / 2 < canvas["x"] + canvas["width"]

        # when the note is deleted, the marker goes
        with page.expect_navigation():
            page.locator("[data-testid=note]", has_text=TEXT).locator("button[type=submit]").click()
        page.wait_for_selector("#dashboard[data-loaded=true]")
        assert page.locator(OURS).count() == 0
        assert violations == []
