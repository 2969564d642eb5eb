"""In a real browser, on the demo data served by gunicorn: the dashboard's pacing chart draws each
weekly objective's projected month end in its status colour beside the month target, and says it
in a line under the chart, as the dashboard API gives it (docs/kpis.md §5)."""

from __future__ import annotations

import pytest

from tests import first_hour
from tests.browser import ARTIFACTS, browser_page

demo_server = first_hour.demo_server  # the demo accounts, committed, served by gunicorn (one home)


@pytest.mark.browser
def test_the_pacing_chart_says_where_each_objective_ends_the_month(demo_server):
    with browser_page(demo_server) as page:
        # given Vélo Nord's viewer (two weekly objectives, run at about half their pace)
        with page.expect_response(lambda r: "/api/v1/dashboard/" in r.url) as landing:
            page.goto("/")
            page.fill("#id_username", first_hour.VIEWER)
            page.fill("#id_password", first_hour.DEMO_PASSWORD)
            page.click("button[type=submit].primary")
        # when the dashboard has drawn its charts
        page.wait_for_selector("#dashboard[data-loaded=true]")
        chart = next(c for c in landing.value.json()["charts"] if c["id"] == "pacing")
        # then each objective has its line, with its status in a chip and in words
        assert len(chart["lines"]) == 2
        items = page.locator("#chart-pacing [data-role=lines] li")
        assert items.count() == 2
        for i, line in enumerate(chart["lines"]):
            item = items.nth(i)
            assert item.inner_text().endswith(line["text"])
            assert item.get_attribute("class") == f"status-{line['status']}"
            assert item.locator(".status-chip").inner_text() in ("✓", "!", "✕")
        # and the canvas holds the projected bars in the colours of their status, and the month target
        drawn = page.evaluate("""() => Chart.getChart(document.querySelector('canvas[data-canvas=pacing]'))
            .data.datasets.map(d => ({label: d.label, data: d.data, colours: d.backgroundColor}))""")
        labels = [d["label"] for d in chart["datasets"]]
        assert [d["label"] for d in drawn] == labels
        projected = drawn[1]
        assert projected["data"] == chart["datasets"][1]["data"]
        status_rgb = {"green": "21,128,61", "amber": "180,83,9", "red": "180,35,24"}
        for colour, line in zip(projected["colours"], chart["lines"], strict=True):
            assert colour.startswith(f"rgba({status_rgb[line['status']]},")
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("#chart-pacing").screenshot(path=str(ARTIFACTS / "pacing-projection.png"))


@pytest.mark.browser
def test_the_portfolio_shows_which_client_will_miss_the_month(demo_server):
    with browser_page(demo_server) as page:
        # given the agency's owner on the portfolio
        first_hour.log_in(page, first_hour.AGENCY_OWNER, "fr")
        page.goto("/")
        # then Vélo Nord, at about half its weekly pace, is projected to miss the month (red, in words)
        cell = page.locator("tr[data-client=velo-nord] td[data-kpi=projection]")
        assert cell.get_attribute("class") == "num status-red"
        assert " / " in cell.inner_text() and "Hors objectif" in cell.inner_text()
        # and Maison Lumière, ahead of its weekly pace, is not
        ahead = page.locator("tr[data-client=maison-lumiere] td[data-kpi=projection]")
        assert ahead.get_attribute("class") == "num status-green"
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("[data-testid=portfolio]").screenshot(path=str(ARTIFACTS / "portfolio-projection.png"))
