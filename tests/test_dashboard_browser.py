"""In a real browser, on the demo data served by gunicorn: a client's viewer lands on their
dashboard and every chart is drawn from the dashboard API; the agency sees its portfolio and
follows a client into its dashboard; each load's navigation timing is saved under artifacts/ (the
first-paint figure itself comes from bench/first_paint.py: no timing decides a test here)."""

from __future__ import annotations

import json

import pytest
from django_tenants.utils import tenant_context

from demo.seed import DEMO_CLIENTS, DEMO_PASSWORD
from kpis.models import Snapshot
from tenants.models import Client
from tests import first_hour
from tests.browser import ARTIFACTS, DASHBOARD_TIMING_JS, browser_page, screenshot
from tests.formats import euros_fr

DEMO_SLUGS = [c.slug for c in DEMO_CLIENTS]


demo_server = first_hour.demo_server  # the demo accounts, committed, served by gunicorn (one home)


@pytest.fixture
def demo_db(demo_server, django_db_blocker):
    """Reads of the committed demo data from the test itself."""
    with django_db_blocker.unblock():
        yield


def _log_in(page, email: str) -> None:
    page.goto("/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")


def _is_dashboard_api(response) -> bool:
    return "/api/v1/dashboard/" in response.url


def _drawn_charts(page) -> dict[str, dict]:
    """What Chart.js holds for every drawn canvas: labels and each dataset's numbers."""
    return page.evaluate("""() => Object.fromEntries([...document.querySelectorAll('canvas[data-drawn=true]')]
        .map(c => { const chart = Chart.getChart(c);
                    const data = chart.data.datasets.map(d => d.data);
                    return [c.dataset.canvas, {labels: chart.data.labels, data: data}]; }))""")


def _assert_drawn_from(payload: dict, drawn: dict, *, every: bool) -> None:
    canvases = [c for c in payload["charts"] if c["kind"] != "table"]
    for chart in canvases:
        if chart["empty"] and not every:
            assert chart["id"] not in drawn, chart["id"]
            continue
        assert not chart["empty"], f"{chart['id']} has no data"
        assert drawn[chart["id"]]["labels"] == chart["labels"], chart["id"]
        assert drawn[chart["id"]]["data"] == [d["data"] for d in chart["datasets"]], chart["id"]


@pytest.mark.browser
def test_a_viewer_lands_on_a_dashboard_drawn_from_the_api_in_french(demo_server, demo_db):
    with browser_page(demo_server) as page:
        violations = []
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        # when the client's viewer logs in
        with page.expect_response(_is_dashboard_api) as landing:
            _log_in(page, "lecture@velo-nord.fr")
        # then they land on their dashboard (last month), and every chart canvas is drawn with the API's data
        page.wait_for_url("**/c/velo-nord/")
        page.wait_for_selector("#dashboard[data-loaded=true]")
        assert page.locator("[data-testid=client-title]").inner_text() == "Vélo Nord"
        payload = landing.value.json()
        _assert_drawn_from(payload, _drawn_charts(page), every=True)
        assert (
            page.locator("text=Administration").count() == 0
            and page.locator("[data-testid=pipeline-link]").count() == 0
        )
        assert page.locator("[data-testid=customise]").count() == 0  # no write controls
        cpl_card = page.locator("[data-testid=card-cost_per_lead] [data-role=value]").inner_text()
        table = page.locator("#chart-landing_pages [data-role=table] table")
        assert table.count() == 1 and "%" in table.inner_text()
        assert "," in table.inner_text()  # French decimals in the landing-page table
        screenshot(page, "client-dashboard")

        # when they pick this month in the period picker (in progress)
        page.check("input[name=range][value=this]")
        with page.expect_response(_is_dashboard_api) as this_month:
            page.click("[data-testid=period-picker] button[type=submit]")
        page.wait_for_selector("#dashboard[data-loaded=true]")
        # then the URL holds the state and the charts with data so far are drawn from the API
        assert "range=this" in page.url
        _assert_drawn_from(this_month.value.json(), _drawn_charts(page), every=False)
        screenshot(page, "client-dashboard-this-month")

        # and the keyboard reaches a card's definition and a chart's data table
        page.focus("[data-testid=card-leads] article")
        assert page.locator("#def-leads").is_visible()
        assert "Leads créés sur la période" in page.locator("#def-leads").inner_text()
        toggle = page.locator("#chart-funnel [data-role=toggle]")
        toggle.focus()
        page.keyboard.press("Enter")
        assert toggle.get_attribute("aria-expanded") == "true"
        assert page.locator("#chart-funnel-table table tbody tr").count() == 4
        assert violations == []

        # when they try another client's dashboard, it does not exist for them
        assert page.goto("/c/maison-lumiere/").status == 404
    # and the cards spoke French: the cost per lead of that month, in euros (read outside the
    # browser: Playwright's event loop forbids database calls inside it)
    with tenant_context(Client.objects.get(slug="velo-nord")):
        cpl = Snapshot.objects.get(kpi="cost_per_lead", period="month", dimension="", key="", start=payload["focus"])
    assert cpl_card == euros_fr(cpl.value)


@pytest.mark.browser
def test_the_agency_sees_its_portfolio_and_drills_into_a_client(demo_server):
    with browser_page(demo_server) as page:
        page.goto("/")
        assert page.locator("h1").inner_text() == "Se connecter à Pouls"
        _log_in(page, "direction@agence-demo.fr")
        # then the portfolio lists every demo client, with headline KPIs and a sparkline each
        page.wait_for_selector("[data-testid=portfolio]")
        rows = page.locator("[data-testid=portfolio] tbody tr")
        assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.client)")) == sorted(DEMO_SLUGS)
        assert page.locator("[data-testid=portfolio] tbody svg.sparkline").count() == len(DEMO_SLUGS)
        screenshot(page, "agency-portfolio")
        # when the agency follows one client
        page.click("[data-testid=portfolio] >> text=Vélo Nord")
        page.wait_for_url("**/c/velo-nord/")
        page.wait_for_selector("#dashboard[data-loaded=true]")
        assert page.locator("[data-testid=client-title]").inner_text() == "Vélo Nord"
        # and drills into its first channel from the channel chart's data table
        page.click("#chart-channels [data-role=toggle]")
        link = page.locator("#chart-channels [data-role=table] tbody a").first
        channel = link.inner_text()
        link.click()
        page.wait_for_url("**dimension=channel**")
        page.wait_for_selector("#dashboard[data-loaded=true]")
        assert channel in page.locator("[data-testid=drill-banner]").inner_text()
        screenshot(page, "client-dashboard-drilled")


@pytest.mark.browser
def test_reloading_the_dashboard_paints_it_again_and_records_its_timing(demo_server):
    """Three loads of the dashboard, each drawn in full; the browser's navigation timing of each is
    saved as an artifact (bench/first_paint.py prints the figures)."""
    with browser_page(demo_server) as page:
        _log_in(page, "lecture@atelier-sillon.fr")
        page.wait_for_url("**/c/atelier-sillon/")
        runs = []
        for _ in range(3):
            page.goto("/c/atelier-sillon/")
            page.wait_for_selector("#dashboard[data-loaded=true]")
            runs.append(page.evaluate(DASHBOARD_TIMING_JS))
            assert page.locator("[data-testid=client-title]").inner_text() == "Atelier Sillon"
            assert page.locator("canvas[data-drawn=true]").count() > 0
        screenshot(page, "client-dashboard-timed")
        (ARTIFACTS / "dashboard-timing.json").write_text(json.dumps(runs, indent=2))
        print("dashboard navigation timing (ms):", json.dumps(runs))
    # then every load painted, finished loading and fetched its charts (timings recorded, not judged)
    assert len(runs) == 3
    assert all(run["first_contentful_paint_ms"] > 0 and run["load_ms"] > 0 for run in runs)
    assert all(run["charts_api_ms"] > 0 for run in runs)
