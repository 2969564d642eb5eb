"""In a real browser, on the demo data served by gunicorn: the dashboard's chart of cost per stage by
channel draws the dashboard API's grouped money bars, says its money the French way in tooltips and
on its axis, and shows its data table; an agency owner makes the costs per stage portfolio columns
with the portfolio's form."""

from __future__ import annotations

import pytest

from tests import first_hour
from tests.browser import ARTIFACTS, browser_page

demo_server = first_hour.demo_server  # the demo accounts, committed, served by gunicorn (one home)
NNBSP, NBSP = "\u202f", "\u00a0"


@pytest.mark.browser
def test_the_cost_per_stage_chart_draws_grouped_money_bars_with_french_money(demo_server):
    with browser_page(demo_server) as page:
        # given Vélo Nord's viewer on the dashboard (the demo spends on paid channels)
        with page.expect_response(lambda r: "/api/v1/dashboard/" in r.url) as landing:
            first_hour.log_in(page, first_hour.VIEWER, "fr")
        page.wait_for_selector("#dashboard[data-loaded=true]")
        chart = next(c for c in landing.value.json()["charts"] if c["id"] == "cost_per_stage")
        assert chart["labels"] and not chart["empty"]

        # then the canvas holds the API's four money series, as grouped (not stacked) bars
        drawn = page.evaluate("""() => {
            const chart = Chart.getChart(document.querySelector('canvas[data-canvas=cost_per_stage]'));
            const item = {dataset: chart.data.datasets[0], raw: 1234.56, datasetIndex: 0, dataIndex: 0, label: ''};
            return {
                type: chart.config.type,
                stacked: !!chart.options.scales.y.stacked,
                datasets: chart.data.datasets.map(d => ({label: d.label, data: d.data, type: d.type})),
                tooltip: chart.options.plugins.tooltip.callbacks.label(item),
                tick: chart.options.scales.y.ticks.callback(1500),
            };
        }""")
        assert drawn["type"] == "bar" and not drawn["stacked"]
        assert [d["label"] for d in drawn["datasets"]] == [d["label"] for d in chart["datasets"]]
        assert [d["data"] for d in drawn["datasets"]] == [d["data"] for d in chart["datasets"]]
        assert {d["type"] for d in drawn["datasets"]} == {"bar"}
        # money the French way: 1 234,56 € in a tooltip, a compact amount on the axis
        assert drawn["tooltip"] == f"Coût par lead : 1{NNBSP}234,56{NBSP}€"
        assert drawn["tick"].endswith("€") and "1,5" in drawn["tick"]

        # and its data table (the text alternative) opens from its button, with the spend beside
        figure = page.locator("#chart-cost_per_stage")
        button = figure.locator("[data-role=toggle]")
        button.click()
        assert button.get_attribute("aria-expanded") == "true"
        header = figure.locator("[data-role=table] thead th").all_inner_texts()
        assert header == chart["table"]["header"] and header[-1] == "Dépenses"
        first = figure.locator("[data-role=table] tbody tr").first.locator("td").all_inner_texts()
        assert first == chart["table"]["rows"][0]["cells"][1:]
        ARTIFACTS.mkdir(exist_ok=True)
        figure.screenshot(path=str(ARTIFACTS / "cost-per-stage.png"))


@pytest.fixture
def default_headlines_after(django_db_blocker):
    """The demo is committed and shared by the module's tests: put the agencies' choice back."""
    yield
    from tenants.models import Agency

    with django_db_blocker.unblock():
        Agency.objects.update(headline_kpis=[])


@pytest.mark.browser
def test_an_owner_makes_the_costs_per_stage_portfolio_columns(demo_server, default_headlines_after):
    with browser_page(demo_server) as page:
        first_hour.log_in(page, first_hour.AGENCY_OWNER, "fr")
        page.goto("/")
        # when the owner opens the form and picks four columns
        page.click("[data-testid=headline-choice] summary")
        for position, kpi in enumerate(("cost_per_lead", "cost_per_mql", "cost_per_sql", "cost_per_customer"), 1):
            page.select_option(f"#column-{position}", kpi)
        with page.expect_navigation():
            page.click("[data-testid=headline-choice] button[type=submit]:not([name])")
        # then every client's row shows them, in that order, in euros
        headers = page.locator("[data-testid=portfolio] thead th.num").all_inner_texts()
        assert headers[:4] == ["Coût par lead", "Coût par MQL", "Coût par SQL", "Coût d'acquisition client"]
        cell = page.locator("tr[data-client=velo-nord] td[data-kpi=cost_per_customer]")
        assert "€" in cell.inner_text()
        ARTIFACTS.mkdir(exist_ok=True)
        page.locator("[data-testid=portfolio]").screenshot(path=str(ARTIFACTS / "portfolio-cost-per-stage.png"))
