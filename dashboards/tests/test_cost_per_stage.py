"""Cost per MQL, per SQL and per customer on the dashboard (golden example, alpha, refreshed as of 15
April 2026): their cards, pinnable; the chart of cost per stage by channel in the API, its data table
(money the French way) and its CSV; a fixed number of queries."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation

from dashboards import charts, selectors
from dashboards.charts import CHART_TITLES
from dashboards.services import pinned_save
from dashboards.tests.conftest import GOLDEN_QUERY, MARCH_QUERY
from kpis.models import Snapshot
from kpis.registry import KPIS
from tests.formats import euros_fr

PAGE, API = "/c/alpha/", "/c/alpha/api/v1/dashboard/"
STAGES = ("cost_per_lead", "cost_per_mql", "cost_per_sql", "cost_per_customer")
COUNTS = {"cost_per_lead": "leads", "cost_per_mql": "mqls", "cost_per_sql": "sqls", "cost_per_customer": "customers"}


def _month(kpi: str, key: str, start: str) -> float | None:
    row = Snapshot.objects.filter(period="month", kpi=kpi, dimension="channel", key=key, start=start).first()
    return row.value if row else None


def _chart(body: dict) -> dict:
    return next(c for c in body["charts"] if c["id"] == "cost_per_stage")


def _card(html: str, kpi: str) -> str:
    start = html.index(f'data-testid="card-{kpi}"')
    return html[start : html.index("</li>", start)]


def test_the_chart_groups_the_four_costs_of_each_channel_with_spend(http_as, golden, in_alpha):
    # given the golden example's March: spend on paid search, paid social and display only
    march = Snapshot.objects.filter(period="month", start="2026-03-01", dimension="channel")
    spenders = march.filter(kpi="spend", value__gt=0)
    by_spend = sorted(spenders, key=lambda s: -s.value)
    assert {s.key for s in by_spend} == {"paid_search", "paid_social", "display"}

    # when the dashboard API shows March
    chart = _chart(http_as(golden.viewer_alpha).get(API, MARCH_QUERY).json())

    # then one group per channel with spend, the most spent first, four money bars each: the snapshots
    with translation.override("fr"):
        assert chart["kind"] == "bar" and chart["title"] == str(CHART_TITLES["cost_per_stage"])
    assert chart["drill"]["urls"][0].endswith(f"dimension=channel&key={by_spend[0].key}")
    assert len(chart["labels"]) == 3 and "Réseaux sociaux (payant)" in chart["labels"]
    assert [d["label"] for d in chart["datasets"]] == [
        "Coût par lead",
        "Coût par MQL",
        "Coût par SQL",
        "Coût d'acquisition client",
    ]
    assert {d["unit"] for d in chart["datasets"]} == {"money"} and {d["type"] for d in chart["datasets"]} == {"bar"}
    for i, spender in enumerate(by_spend):
        for dataset, kpi in zip(chart["datasets"], STAGES, strict=True):
            assert dataset["data"][i] == _month(kpi, spender.key, "2026-03-01"), (kpi, spender.key)
    # each cost is the spend ÷ the channel's stage reaches (checked independently of the formulas)
    social = chart["labels"].index("Réseaux sociaux (payant)")
    spend = _month("spend", "paid_social", "2026-03-01")
    for dataset, kpi in zip(chart["datasets"], STAGES, strict=True):
        reached = _month(COUNTS[kpi], "paid_social", "2026-03-01") or 0
        expected = spend / reached if reached else None
        assert dataset["data"][social] == (None if expected is None else pytest_approx(expected)), kpi
    # the data table (the chart's text alternative) reads money the French way, spend beside
    row = chart["table"]["rows"][social]["cells"]
    assert chart["table"]["header"] == [
        "Canal",
        "Coût par lead",
        "Coût par MQL",
        "Coût par SQL",
        "Coût d'acquisition client",
        "Dépenses",
    ]
    assert row[1] == euros_fr(chart["datasets"][0]["data"][social]) and row[5] == euros_fr(spend)
    with translation.override("fr"):  # the registry's formula, in the page's language
        assert f"Coût par MQL : {KPIS['cost_per_mql'].formula}" in chart["description"]


def pytest_approx(value):
    return pytest.approx(value, rel=1e-9)


def test_over_a_range_the_chart_shows_the_range_totals_not_an_average(http_as, golden, in_alpha):
    chart = _chart(http_as(golden.viewer_alpha).get(API, GOLDEN_QUERY).json())

    months = ("2026-01-01", "2026-02-01", "2026-03-01")
    social = chart["labels"].index("Réseaux sociaux (payant)")
    spend = sum(_month("spend", "paid_social", m) or 0 for m in months)
    mqls = sum(_month("mqls", "paid_social", m) or 0 for m in months)
    assert mqls > 0
    assert chart["datasets"][1]["data"][social] == pytest_approx(spend / mqls)


def test_the_chart_downloads_as_french_csv(http_as, golden, in_alpha):
    text = http_as(golden.viewer_alpha).get(f"{PAGE}dashboard/cost_per_stage.csv", MARCH_QUERY).content.decode()

    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert rows[0] == [
        "\ufeffCanal",
        "Coût par lead",
        "Coût par MQL",
        "Coût par SQL",
        "Coût d'acquisition client",
        "Dépenses",
    ]
    social = next(r for r in rows if r[0] == "Réseaux sociaux (payant)")
    cost = _month("cost_per_mql", "paid_social", "2026-03-01")
    assert social[2] == f"{cost:.2f}".replace(".", ",")


def test_the_chart_without_spend_is_empty_and_a_drill_down_highlights_its_channel(http_as, golden, in_alpha):
    browser = http_as(golden.viewer_alpha)
    june = {"period": "month", "range": "custom", "from": "2025-06-01", "to": "2025-06-01"}
    empty = _chart(browser.get(API, june).json())
    assert empty["empty"] and empty["labels"] == []

    drilled = _chart(browser.get(API, MARCH_QUERY | {"dimension": "channel", "key": "display"}).json())
    assert drilled["labels"][drilled["selected"]] == "Display" and drilled["note"] is None
    by_offer = _chart(browser.get(API, MARCH_QUERY | {"dimension": "offer", "key": "demo"}).json())
    assert by_offer["note"]  # snapshots split by one dimension at a time: it says so


def test_cards_of_the_three_costs_show_and_can_be_pinned(http_as, golden, in_alpha):
    # given a manager pins the cost per customer and per SQL for everyone
    pinned_save(kpis=["cost_per_customer", "cost_per_sql"])

    html = http_as(golden.viewer_alpha).get(PAGE, MARCH_QUERY).content.decode()

    pinned = html[html.index('data-section="pinned"') : html.index('data-section="acquisition"')]
    assert pinned.index("card-cost_per_customer") < pinned.index("card-cost_per_sql")
    conversion = html[html.index('data-section="conversion"') :]
    card = _card(conversion, "cost_per_mql")
    cost = Snapshot.objects.get(period="month", kpi="cost_per_mql", dimension="", start="2026-03-01")
    assert f'data-role="value">{euros_fr(cost.value)}</p>' in card and "Coût par MQL" in card
    # drilled into a channel, the three costs have cards (they split by channel)
    drilled = http_as(golden.viewer_alpha).get(PAGE, MARCH_QUERY | {"dimension": "channel", "key": "paid_social"})
    for kpi in ("cost_per_mql", "cost_per_sql", "cost_per_customer"):
        assert f'data-testid="card-{kpi}"' in drilled.content.decode()
    # the pin form offers them
    manager = http_as(golden.manager_alpha).get(PAGE, MARCH_QUERY).content.decode()
    assert 'id="pin-cost_per_customer"' in manager


def _statements(browser, path, params) -> int:
    browser.get(path, params)  # warm up: session, language cookie
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(path, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_chart_adds_no_query_whatever_the_range_or_the_drill(http_as, golden, monkeypatch):
    browser = http_as(golden.manager_alpha)
    short = MARCH_QUERY
    long = {"period": "week", "range": "custom", "from": "2025-01-06", "to": "2026-12-28"}  # 104 weeks
    drill = {"dimension": "channel", "key": "paid_social"}
    paths = (PAGE, API, f"{PAGE}dashboard/cost_per_stage.csv")
    for path in paths:
        assert _statements(browser, path, short) == _statements(browser, path, long), path
        assert _statements(browser, path, short | drill) == _statements(browser, path, long | drill), path
    with_chart = {path: _statements(browser, path, short) for path in paths[:2]}
    # the page and the API without the chart (and without the channel rows it reads) count the same
    monkeypatch.delitem(charts.CHARTS, "cost_per_stage")
    monkeypatch.delitem(charts.CHART_TITLES, "cost_per_stage")
    monkeypatch.setitem(selectors.BREAKDOWN_KPIS, "channel", ("leads", "lead_to_customer_rate", "mqls"))
    assert {path: _statements(browser, path, short) for path in paths[:2]} == with_chart
