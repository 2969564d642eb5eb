"""The client dashboard page, its API and its CSV downloads, on the golden example (alpha, refreshed
as of 15 April 2026): numbers straight from the snapshots, in French, a fixed number of queries."""

import csv
import io
import re
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import GOLDEN_AS_OF
from dashboards.charts import CHART_TITLES
from dashboards.tests.conftest import GOLDEN_QUERY, MARCH_QUERY
from kpis.models import Objective, Snapshot
from tests.formats import euros_fr

PAGE, API = "/c/alpha/", "/c/alpha/api/v1/dashboard/"


def _snapshot(**where) -> Snapshot:
    """A monthly snapshot of the client the test is in (golden, in_alpha)."""
    return Snapshot.objects.get(period="month", **where)


def _card(html: str, kpi: str) -> str:
    start = html.index(f'data-testid="card-{kpi}"')
    return html[start : html.index("</li>", start)]


def test_cards_show_the_focus_month_in_french_with_change_status_and_formula(http_as, golden, in_alpha):
    from kpis.refresh import kpi_snapshot_refresh

    Objective.objects.create(kpi="cost_per_lead", period="month", target=300)
    kpi_snapshot_refresh(full=True, as_of=GOLDEN_AS_OF)
    cpl = _snapshot(kpi="cost_per_lead", dimension="", start="2026-03-01")

    response = http_as(golden.viewer_alpha).get(PAGE, MARCH_QUERY)

    assert response.status_code == 200
    html = response.content.decode()
    card = _card(html, "cost_per_lead")
    assert f'data-role="value">{euros_fr(cpl.value)}</p>' in card
    assert cpl.status == "red" and "Hors objectif" in card and "✕" in card  # in words, not colour alone
    assert "Dépenses ÷ leads" in card  # the registry's formula, as the API gives it
    assert "mars 2026" in html and "février 2026" in html
    assert re.findall(r'<h2 id="section-[a-z]+">([^<]+)</h2>', html) == [
        "Épinglés",
        "Acquisition",
        "Engagement et conversion",
        "Contenus et campagnes",
        "E-mail",
        "Qualification des leads",
    ]
    # one month has no trend to draw; its quarter has
    quarter = _card(http_as(golden.viewer_alpha).get(PAGE, GOLDEN_QUERY).content.decode(), "cost_per_lead")
    assert "<polyline points=" in quarter


def test_in_english_the_same_numbers_read_the_english_way(http_as, golden, in_alpha):
    browser = http_as(golden.viewer_alpha)
    browser.cookies["django_language"] = "en"
    cpl = _snapshot(kpi="cost_per_lead", dimension="", start="2026-03-01")
    card = _card(browser.get(PAGE, MARCH_QUERY).content.decode(), "cost_per_lead")
    assert f'data-role="value">€{cpl.value:,.2f}</p>' in card and "Cost per lead" in card
    body = browser.get(API, GOLDEN_QUERY).json()
    assert body["locale"] == "en-GB"
    assert body["charts"][0]["title"] == "Leads and visits over time"


def test_the_api_serves_every_chart_from_the_snapshots(http_as, golden, in_alpha):
    body = http_as(golden.viewer_alpha).get(API, GOLDEN_QUERY).json()

    charts = {c["id"]: c for c in body["charts"]}
    assert list(charts) == list(CHART_TITLES)
    leads = charts["leads_visits"]["datasets"][0]
    january, march = (_snapshot(kpi="leads", dimension="", start=d) for d in ("2026-01-01", "2026-03-01"))
    assert leads["data"][0] == january.value and leads["data"][-1] == march.value
    channels = charts["channels"]
    # over the quarter, a breakdown shows the quarter's totals (the months summed)
    paid = Snapshot.objects.filter(period="month", kpi="leads", dimension="channel", key="paid_social")
    quarter = sum(paid.filter(start__range=("2026-01-01", "2026-03-01")).values_list("value", flat=True))
    index = channels["labels"].index("Réseaux sociaux (payant)")  # a built-in channel, in French
    assert channels["datasets"][0]["data"][index] == quarter
    assert (
        channels["drill"]["urls"][index] == f"{PAGE}?range=custom&from=2026-01-01&to=2026-03-01"
        "&dimension=channel&key=paid_social"
    )
    assert channels["table"]["rows"][index]["cells"][0] == "Réseaux sociaux (payant)"
    assert body["locale"] == "fr-FR" and body["currency"] == "EUR"


def test_drilling_into_a_channel_filters_what_can_be_filtered_and_says_so_elsewhere(http_as, golden, in_alpha):
    query = GOLDEN_QUERY | {"dimension": "channel", "key": "paid_social"}
    body = http_as(golden.viewer_alpha).get(API, query).json()
    charts = {c["id"]: c for c in body["charts"]}

    march = _snapshot(kpi="leads", dimension="channel", key="paid_social", start="2026-03-01")
    assert charts["leads_visits"]["datasets"][0]["data"][-1] == march.value
    assert charts["channels"]["selected"] == charts["channels"]["drill"]["urls"].index(
        f"{PAGE}?range=custom&from=2026-01-01&to=2026-03-01&dimension=channel&key=paid_social"
    )
    assert charts["landing_pages"]["note"] and charts["paid_organic"]["note"]
    # a period without any of the channel's customers is 0 customers, not "no value"
    referral = MARCH_QUERY | {"dimension": "channel", "key": "referral"}
    stored = Snapshot.objects.filter(
        period="month", kpi__in=["sqls", "customers"], dimension="channel", key="referral", start=date(2026, 3, 1)
    )
    assert not stored.exists()  # referral had no SQL and no customer in March
    funnel = next(c for c in http_as(golden.viewer_alpha).get(API, referral).json()["charts"] if c["id"] == "funnel")
    assert funnel["datasets"][0]["data"][2:] == [0.0, 0.0]
    page = http_as(golden.viewer_alpha).get(PAGE, query).content.decode()
    assert 'data-testid="drill-banner"' in page and "Réseaux sociaux (payant)" in page
    assert 'data-testid="card-cta_click_rate"' not in page  # a KPI that does not split by channel


def test_every_chart_downloads_as_csv_with_plain_numbers(http_as, golden, in_alpha):
    client = http_as(golden.viewer_alpha)
    for chart in CHART_TITLES:
        response = client.get(f"{PAGE}dashboard/{chart}.csv", GOLDEN_QUERY)
        assert response.status_code == 200, chart
        assert response["Content-Type"].startswith("text/csv")
        assert f"pouls-alpha-{chart}-month-2026-01-01-2026-03-01.csv" in response["Content-Disposition"]
    march = client.get(f"{PAGE}dashboard/funnel.csv", MARCH_QUERY)
    assert "pouls-alpha-funnel-month-2026-03-01.csv" in march["Content-Disposition"]
    text = client.get(f"{PAGE}dashboard/campaigns.csv", MARCH_QUERY).content.decode()
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))  # French Excel's shape (test_csv_french.py)
    assert rows[0] == ["\ufeffCampagne", "Leads générés", "Coût par lead"]
    cpl = _snapshot(kpi="cost_per_lead", dimension="campaign", key="linkedin-ads", start="2026-03-01")
    linkedin = next(r for r in rows if r[0] == "LinkedIn ads")
    assert linkedin[2] == f"{cpl.value:.2f}".replace(".", ",")
    assert client.get(f"{PAGE}dashboard/nope.csv").status_code == 404


def _statements(browser, path, params) -> int:
    browser.get(path, params)  # warm up: session, language cookie
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(path, params)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_the_query_count_does_not_grow_with_the_range(http_as, golden):
    browser = http_as(golden.manager_alpha)
    short = {"period": "month", "range": "custom", "from": "2026-03-01", "to": "2026-03-01"}
    long = {"period": "week", "range": "custom", "from": "2025-01-06", "to": "2026-12-28"}  # 104 weeks
    drill = {"dimension": "offer", "key": "kpi-ebook"}
    for path in (PAGE, API):
        assert _statements(browser, path, short) == _statements(browser, path, long), path
        assert _statements(browser, path, short | drill) == _statements(browser, path, long | drill), path
    # sessions, user, membership, refresh instant, snapshots, the range's totals, pinned cards,
    # branding, the notes, the note form's channels and campaigns, the client's custom KPIs (+ the drilled name)
    assert _statements(browser, PAGE, short) <= 14
    assert _statements(browser, API, short) <= 14


def test_bad_parameters_get_field_errors_never_a_500(http_as, golden):
    browser = http_as(golden.viewer_alpha)
    api = browser.get(API, {"period": "day", "range": "custom", "from": "2026-05-01"})
    assert api.status_code == 400
    assert set(api.json()) == {"period", "to"}
    page = browser.get(PAGE, {"range": "custom", "from": "2026-05-01", "to": "2026-01-01"})
    assert page.status_code == 400 and 'data-testid="state-errors"' in page.content.decode()
    assert browser.get(f"{PAGE}dashboard/funnel.csv", {"period": "year"}).status_code == 400


def test_the_page_has_a_strict_content_security_policy_and_no_inline_script(http_as, golden):
    response = http_as(golden.viewer_alpha).get(PAGE)
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy
    html = response.content.decode()
    # two scripts, and the notes as data (json_script: never run)
    assert html.count('<script src="') == 2
    assert html.count("<script") == 2 + html.count('<script id="note-data" type="application/json">') == 3
    assert " style=" not in html


def test_another_clients_dashboard_and_data_are_404(http_as, golden):
    for path in ("/c/beta/", "/c/beta/api/v1/dashboard/", "/c/beta/dashboard/funnel.csv", "/c/gamma/"):
        assert http_as(golden.viewer_alpha).get(path).status_code == 404, path
    assert http_as(golden.other_owner).get(PAGE).status_code == 404
    assert http_as(None).get(API).status_code in (401, 403)


def test_csv_cells_never_run_as_spreadsheet_formulas(http_as, golden, in_alpha):
    from campaigns.models import Campaign

    Campaign.objects.filter(key="linkedin-ads").update(name='=HYPERLINK("http://evil.test","x")')
    text = http_as(golden.viewer_alpha).get(f"{PAGE}dashboard/campaigns.csv", GOLDEN_QUERY).content.decode()
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [r[0] for r in rows if "HYPERLINK" in r[0]] == ['\'=HYPERLINK("http://evil.test","x")']


def test_the_leads_series_csv_keeps_anomaly_flags_apart_from_the_numbers(http_as, golden, in_alpha):
    text = http_as(golden.viewer_alpha).get(f"{PAGE}dashboard/leads_visits.csv", GOLDEN_QUERY).content.decode()
    header, *rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert header[1:] == ["Leads générés", "Leads générés (anomalie)", "Trafic", "Trafic (anomalie)"]
    january = _snapshot(kpi="leads", dimension="", start="2026-01-01")
    assert rows[0][:3] == ["janv. 26", str(round(january.value)), january.anomaly or ""]


def test_a_client_without_any_refresh_yet_gets_an_empty_dashboard_not_an_error(http_as, world):
    browser = http_as(world.viewer_beta)
    page = browser.get("/c/beta/").content.decode()
    assert "Pas encore calculé" in page and 'data-testid="card-leads"' in page
    body = browser.get("/c/beta/api/v1/dashboard/", {"period": "week", "range": "this"}).json()
    assert body["as_of"] is None and all(chart["empty"] for chart in body["charts"])
    assert browser.get("/c/beta/dashboard/pacing.csv").status_code == 200
