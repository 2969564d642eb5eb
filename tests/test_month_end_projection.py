"""The month-end projection (docs/kpis.md §5) where people read it: the dashboard's pacing chart and
the agency portfolio (page and API), on hand-computed numbers.

alpha on 10 June 2026 (30 days): 2 paid-search leads on the 1st and 12 on the 10th, so 14 by the
10th, all paid search. Two weekly objectives:
- leads, all channels, 14 a week: month target 14 × 30 ÷ 7 = 60, projected 14 × 30 ÷ 10 = 42,
  needed (60 − 14) ÷ 20 = 2.3 a day, 42 ÷ 60 = 0.7: red (the weakest);
- leads, paid search, 7 a week: month target 30, projected 42, needed (30 − 14) ÷ 20 = 0.8, green.
"""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from campaigns.tests.factories import builtin_channel
from kpis.models import Objective
from kpis.refresh import kpi_snapshot_refresh
from leads.tests.factories import LeadFactory
from portfolio.models import Pulse

PARIS = ZoneInfo("Europe/Paris")
TENTH = datetime(2026, 6, 10, 12, tzinfo=PARIS)
DASHBOARD_API = "/c/alpha/api/v1/dashboard/"


@pytest.fixture
def tenth(db, world):
    """alpha's leads and objectives, refreshed at noon on 10 June 2026; the clock stays there."""
    with time_machine.travel(TENTH, tick=False):
        with tenant_context(world.alpha):
            channel = builtin_channel("paid_search")
            for day, count in ((1, 2), (10, 12)):
                LeadFactory.create_batch(count, created_at=datetime(2026, 6, day, 9, tzinfo=PARIS), channel=channel)
            Objective.objects.create(kpi="leads", period="week", target=14)
            Objective.objects.create(kpi="leads", period="week", dimension="channel", key="paid_search", target=7)
            kpi_snapshot_refresh(full=True, as_of=TENTH)
        connection.set_schema_to_public()
        yield world


def _browser(http_as, user, language: str):
    browser = http_as(user)
    browser.cookies["django_language"] = language
    return browser


def _pacing_chart(browser) -> dict:
    body = browser.get(DASHBOARD_API, {"period": "month", "range": "this"}).json()
    return next(chart for chart in body["charts"] if chart["id"] == "pacing")


def test_the_pacing_chart_shows_each_objectives_projection_beside_its_month_target(http_as, tenth):
    chart = _pacing_chart(_browser(http_as, tenth.viewer_alpha, "en"))
    total = chart["labels"].index("Leads generated · All channels")
    paid = chart["labels"].index("Leads generated · Paid search")
    datasets = {d["label"]: d for d in chart["datasets"]}
    assert datasets["Actual, month to date"]["data"][total] == 14
    assert datasets["Projected month-end"]["data"][total] == 42
    assert datasets["Projected month-end"]["statuses"][total] == "red"  # drawn in the status colour
    assert datasets["Month target"]["data"][total] == 60 and datasets["Month target"]["marker"]
    assert datasets["Month target"]["data"][paid] == 30
    assert chart["lines"][total] == {
        "text": "Leads generated · All channels — Month-end projection: 42 / target 60 · 2.3 needed per day "
        "· Off target",
        "status": "red",
    }
    assert chart["lines"][paid] == {
        "text": "Leads generated · Paid search — Month-end projection: 42 / target 30 · 0.8 needed per day · On target",
        "status": "green",
    }
    header = chart["table"]["header"]
    row = chart["table"]["rows"][total]["cells"]
    assert row[header.index("Needed per day")] == "2.3" and row[header.index("Projected status")] == "Off target"


def test_the_numbers_read_the_french_way(http_as, tenth):
    chart = _pacing_chart(_browser(http_as, tenth.viewer_alpha, "fr"))
    text = next(line["text"] for line in chart["lines"] if line["status"] == "red")
    assert "42 / " in text and " 60 · " in text and "2,3 " in text and "Hors objectif" in text


def test_the_dashboard_reads_the_same_number_of_queries_whatever_the_objectives(http_as, tenth):
    browser = _browser(http_as, tenth.manager_alpha, "fr")

    def statements(path) -> int:
        browser.get(path)  # warm up: session, language cookie
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path).status_code == 200
        return len(captured.captured_queries)

    with time_machine.travel(TENTH, tick=False):
        before = {path: statements(path) for path in ("/c/alpha/", DASHBOARD_API)}
        with tenant_context(tenth.alpha):
            for key, target in (("organic_search", 3), ("email", 2), ("referral", 1)):
                Objective.objects.create(kpi="leads", period="week", dimension="channel", key=key, target=target)
                Objective.objects.create(kpi="mqls", period="week", dimension="channel", key=key, target=target)
        connection.set_schema_to_public()
        after = {path: statements(path) for path in ("/c/alpha/", DASHBOARD_API)}
        assert len(_pacing_chart(browser)["lines"]) == 8
    assert after == before


def test_the_pulse_keeps_the_weakest_projection(tenth):
    pulse = Pulse.objects.get(client=tenth.alpha)
    assert (pulse.projection, pulse.projection_status, pulse.projection_kpi) == (pytest.approx(0.7), "red", "leads")
    assert (pulse.projected, pulse.month_target) == (42, 60)
    assert pulse.needed_per_day == pytest.approx(2.3)
    assert (pulse.objectives, pulse.misses) == (2, 1)
    # the red projection is the red pacing, counted once (no monthly objective here)
    assert (pulse.pacing_status, pulse.red) == ("red", 1) and pulse.needs_attention


def test_the_portfolio_page_shows_who_will_miss_the_month(http_as, tenth):
    html = _browser(http_as, tenth.owner, "en").get("/").content.decode()
    row = html[html.index('data-client="alpha"') :]
    cell = row[row.index('data-kpi="projection"') : row.index("</td>", row.index('data-kpi="projection"'))]
    assert "42 / 60" in cell and "Leads generated · 2.3 needed per day" in cell
    assert "Off target" in cell and "✕" in cell  # in words, not colour alone
    assert "1 of 2 objectives projected short" in cell
    assert 'class="num status-red" data-kpi="projection"' in row
    french = _browser(http_as, tenth.owner, "fr").get("/").content.decode()
    assert "2,3 " in french[french.index('data-kpi="projection"') :]


def test_the_portfolio_names_a_custom_kpis_projection_by_its_key(http_as, tenth):
    # a weekly objective on a custom count KPI paces and projects like the others (kpis.pacing)
    Pulse.objects.filter(client=tenth.alpha).update(projection_kpi="calls_total")
    html = _browser(http_as, tenth.owner, "en").get("/").content.decode()
    row = html[html.index('data-client="alpha"') :]
    cell = row[row.index('data-kpi="projection"') : row.index("</td>", row.index('data-kpi="projection"'))]
    assert "calls_total · 2.3 needed per day" in cell and 'title="calls_total — ' in cell


def test_the_portfolio_api_gives_the_projection(http_as, tenth):
    [alpha] = [r for r in http_as(tenth.owner).get("/api/v1/portfolio/").json()["results"] if r["slug"] == "alpha"]
    assert alpha["projection"] == pytest.approx(0.7) and alpha["projection_status"] == "red"
    assert (alpha["projection_kpi"], alpha["projected"], alpha["month_target"], alpha["misses"]) == (
        "leads",
        42,
        60,
        1,
    )
    assert alpha["needed_per_day"] == pytest.approx(2.3)
    [beta] = [r for r in http_as(tenth.owner).get("/api/v1/portfolio/").json()["results"] if r["slug"] == "beta"]
    assert (beta["projection"], beta["projection_kpi"], beta["misses"]) == (None, None, 0)  # never refreshed


@pytest.mark.parametrize(
    ("needed", "status", "line"),
    [
        (4.26, "red", "Month-end projection: 212 / target 240 · 4.3 needed per day · Off target"),
        (0.0, "green", "Month-end projection: 212 / target 240 · month target already reached · On target"),
        (None, "amber", "Month-end projection: 212 / target 240 · Close to target"),  # the month's last day
        (0.0, None, "Month-end projection: 212 / target 240 · month target already reached"),  # no status
    ],
)
def test_the_projection_line_in_words(needed, status, line):
    from django.utils import translation

    from dashboards.formatting import Formatter
    from dashboards.labels import projection_words

    with translation.override("en"):
        words = projection_words(
            Formatter("en", "EUR"), projected=212, month_target=240, needed_per_day=needed, status=status
        )
    assert words == line
