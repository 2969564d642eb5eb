"""A custom range shows the range (issue 14): month, January–June 2026, the cards show the totals of
the six months (a rate recomputed from the summed numerator and denominator, never an average of
the monthly rates), compared with July–December 2025; the charts show the six months; the CSV
follows; the query count does not grow with the range. Expected numbers come from the facts made
here, counted by hand."""

import csv
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.tests.factories import builtin_channel
from kpis.models import Objective
from kpis.report import kpi_compute
from kpis.selectors import range_kpis
from leads.tests.factories import LeadFactory

PARIS = ZoneInfo("Europe/Paris")
AS_OF = datetime(2026, 7, 15, 12, tzinfo=PARIS)  # June has ended
PAGE, API = "/c/alpha/", "/c/alpha/api/v1/dashboard/"
RANGE = {"period": "month", "range": "custom", "from": "2026-01-01", "to": "2026-06-01"}
# Month (2026) → leads created in it; the first of each listed month reaches MQL the next day.
LEADS = {1: 1, 2: 2, 3: 3, 4: 4, 5: 5, 6: 6}
MQL_MONTHS = (1, 3, 6)
BEFORE = {(2025, 8): 2, (2025, 11): 1}  # the previous range, July–December 2025: 3 leads


def _card(html: str, kpi: str) -> str:
    start = html.rindex("<li", 0, html.index(f'data-testid="card-{kpi}"'))  # with its status class
    return html[start : html.index("</li>", start)]


@pytest.fixture
def facts(in_alpha):
    """Leads of January–June 2026 (first of each month on paid social, the rest organic search)
    and of the range before, refreshed as of mid-July."""
    from kpis.refresh import kpi_snapshot_refresh

    paid, organic = builtin_channel("paid_social"), builtin_channel("organic_search")
    for month, count in LEADS.items():
        for i in range(count):
            created = datetime(2026, month, 10, 12, i, tzinfo=PARIS)
            mql = {"stage": "mql", "mql_at": datetime(2026, month, 11, 12, tzinfo=PARIS)}
            LeadFactory(
                created_at=created,
                channel=paid if i == 0 else organic,
                **(mql if i == 0 and month in MQL_MONTHS else {}),
            )
    for (year, month), count in BEFORE.items():
        for i in range(count):
            LeadFactory(created_at=datetime(year, month, 10, 12, i, tzinfo=PARIS), channel=organic)
    kpi_snapshot_refresh(full=True, as_of=AS_OF)
    return in_alpha


def test_the_cards_show_the_totals_of_the_range_against_the_range_before(http_as, world, facts):
    browser = http_as(world.viewer_alpha)
    browser.cookies["django_language"] = "en"

    html = browser.get(PAGE, RANGE).content.decode()

    leads = _card(html, "leads")
    assert f'data-role="value">{sum(LEADS.values())}</p>' in leads  # 21, not June's 6
    # 21 against 3: +600 %, against the range before, not against May
    assert "+600.0%" in leads and "vs the previous range" in leads
    rate = _card(html, "lead_to_mql_rate")
    expected = len(MQL_MONTHS) / sum(LEADS.values())  # 3 ÷ 21 = 14.3 %
    assert f'data-role="value">{expected * 100:.1f}%</p>' in rate
    monthly = [(1 if m in MQL_MONTHS else 0) / n for m, n in LEADS.items()]
    assert f"{sum(monthly) / len(monthly) * 100:.1f}%" not in rate  # 25.0 %: the average of rates
    mqls = _card(html, "mqls")
    assert f'data-role="value">{len(MQL_MONTHS)}</p>' in mqls
    assert "Jan 2026 – Jun 2026" in html and "Jul 2025 – Dec 2025" in html
    assert "totals over 6 months" in html
    assert 'points="' in leads and leads.split('points="')[1].split('"')[0].count(",") == 6  # six months


def test_the_page_names_the_range_in_french(http_as, world, facts):
    html = http_as(world.viewer_alpha).get(PAGE, RANGE).content.decode()
    assert "janv. 2026 – juin 2026" in html and "juil. 2025 – déc. 2025" in html


def test_the_engine_sums_numerators_and_denominators_over_the_range(facts):
    rows = range_kpis(
        period="month", first=date(2026, 1, 1), last=date(2026, 6, 1), kpis=["leads", "lead_to_mql_rate", "lead_growth"]
    )
    total = sum(LEADS.values())
    assert rows[("leads", "", "")]["value"] == total and rows[("leads", "", "")]["previous_value"] == 3
    rate = rows[("lead_to_mql_rate", "", "")]
    assert (rate["numerator"], rate["denominator"]) == (len(MQL_MONTHS), total)
    assert rate["value"] == len(MQL_MONTHS) / total
    # growth of the range over the range before, not a sum of monthly growths
    assert rows[("lead_growth", "", "")]["value"] == (total - 3) / 3
    # the same numbers as the report month by month, summed
    report = kpi_compute(period="month", start=date(2026, 1, 1), end=date(2026, 6, 30), dimension=None, as_of=AS_OF)
    monthly = [r for r in report if r["kpi"] == "lead_to_mql_rate"]
    assert sum(r["numerator"] for r in monthly) == rate["numerator"]
    assert sum(r["denominator"] for r in monthly) == rate["denominator"]


def test_the_charts_show_the_six_months_and_the_range_totals(http_as, world, facts):
    browser = http_as(world.viewer_alpha)
    browser.cookies["django_language"] = "en"

    body = browser.get(API, RANGE).json()

    assert body["over_range"] is True
    charts = {c["id"]: c for c in body["charts"]}
    over_time = charts["leads_visits"]
    assert len(over_time["labels"]) == 6 and over_time["datasets"][0]["data"] == [float(n) for n in LEADS.values()]
    funnel = charts["funnel"]["datasets"]
    assert funnel[0]["data"][:2] == [sum(LEADS.values()), len(MQL_MONTHS)]
    assert funnel[1]["data"][1] == len(MQL_MONTHS) / sum(LEADS.values())
    channels = charts["channels"]
    data = dict(zip(channels["labels"], channels["datasets"][0]["data"], strict=True))
    assert data == {"Paid social": len(LEADS), "Organic search": sum(LEADS.values()) - len(LEADS)}
    assert len(charts["mqls_by_channel"]["labels"]) == 6


def test_the_csv_follows_the_range(http_as, world, facts):
    browser = http_as(world.viewer_alpha)
    browser.cookies["django_language"] = "en"

    response = browser.get(f"{PAGE}dashboard/funnel.csv", RANGE)

    assert 'filename="pouls-alpha-funnel-month-2026-01-01-2026-06-01.csv"' in response["Content-Disposition"]
    rows = {r[0]: r for r in csv.reader(io.StringIO(response.content.decode().removeprefix("\ufeff")))}
    assert rows["Leads"][1] == str(sum(LEADS.values()))
    assert rows["MQL"][1:] == [str(len(MQL_MONTHS)), f"{len(MQL_MONTHS) / sum(LEADS.values()):.6f}".rstrip("0")]
    series = list(csv.reader(io.StringIO(browser.get(f"{PAGE}dashboard/leads_visits.csv", RANGE).content.decode())))
    assert len(series) == 1 + 6


def test_a_drilled_channel_over_the_range_shows_its_own_totals(http_as, world, facts):
    browser = http_as(world.viewer_alpha)
    html = browser.get(PAGE, RANGE | {"dimension": "channel", "key": "paid_social"}).content.decode()
    assert f'data-role="value">{len(LEADS)}</p>' in _card(html, "leads")  # one paid lead a month


def test_a_range_has_no_status_one_period_has(http_as, world, facts):
    Objective.objects.create(kpi="leads", period="month", target=5)
    from kpis.refresh import kpi_snapshot_refresh

    kpi_snapshot_refresh(full=True, as_of=AS_OF)
    browser = http_as(world.viewer_alpha)
    browser.cookies["django_language"] = "en"

    june = _card(browser.get(PAGE, RANGE | {"from": "2026-06-01"}).content.decode(), "leads")
    assert "status-green" in june and "target 5" in june  # 6 leads against 5 a month
    whole = _card(browser.get(PAGE, RANGE).content.decode(), "leads")
    assert "status-none" in whole and "target" not in whole.split('data-role="status"')[1].split("</p>")[0]
    assert "objectives are per period" in whole


def test_the_query_count_is_the_same_whatever_the_range_length(http_as, world, facts, django_assert_num_queries):
    browser = http_as(world.manager_alpha)
    june, long = RANGE | {"from": "2026-06-01"}, RANGE | {"from": "2023-07-01"}  # 1 and 36 months
    for path in (PAGE, API):
        browser.get(path, june)  # warm up: session, language cookie
        with CaptureQueriesContext(connection) as captured:
            assert browser.get(path, june).status_code == 200
        for query in (RANGE, long):
            with django_assert_num_queries(len(captured.captured_queries)):
                assert browser.get(path, query).status_code == 200


def test_a_range_of_weeks_or_quarters_reads_as_one_span():
    from dashboards.formatting import Formatter

    french = Formatter("fr", "EUR")
    assert french.span(date(2026, 1, 5), date(2026, 6, 22), "week") == "5 janv. 2026 – 28 juin 2026"
    assert french.span(date(2026, 1, 1), date(2026, 4, 1), "quarter") == "T1 2026 – T2 2026"
    assert Formatter("en", "EUR").span(date(2026, 1, 1), date(2026, 6, 1), "month") == "Jan 2026 – Jun 2026"


def test_quarters_over_a_range_sum_their_months(http_as, world, facts):
    browser = http_as(world.viewer_alpha)
    query = {"period": "quarter", "range": "custom", "from": "2026-01-01", "to": "2026-04-01"}
    html = browser.get(PAGE, query).content.decode()
    assert f'data-role="value">{sum(LEADS.values())}</p>' in _card(html, "leads")
    body = browser.get(API, query).json()
    over_time = next(c for c in body["charts"] if c["id"] == "leads_visits")["datasets"][0]["data"]
    assert over_time == [sum(LEADS[m] for m in (1, 2, 3)), sum(LEADS[m] for m in (4, 5, 6))]
