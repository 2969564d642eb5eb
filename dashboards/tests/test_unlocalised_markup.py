"""Numbers inside markup are never localised (issue 14, "Sparkline markers"): in French, Django
writes floats with a decimal comma (``cx="65,5"``), which SVG rejects, so every anomaly marker was
drawn in the corner. The dashboard's cards and the portfolio's sparklines, in French, with a marker
at a fractional coordinate, keep dots in their coordinates."""

import re
from datetime import date, timedelta

from dashboards.cards import SPARK_WIDTH
from kpis.models import Snapshot
from portfolio.models import Headline

NUMBER = r"-?\d+(?:\.\d+)?"  # a plain number: digits, at most one decimal point, never a comma
COORDINATE = re.compile(r'\b(cx|cy)="([^"]*)"')
POINTS = re.compile(r'\bpoints="([^"]*)"')
MARKER = re.compile(r'<circle class="spark-anomaly" cx="(\d+(?:\.\d+)?)" cy="(\d+(?:\.\d+)?)" r="3"/>')

# Eight weeks: the second one's x is 120 / 7 = 17.1, a fractional coordinate.
EIGHT_WEEKS = {"period": "week", "range": "custom", "from": "2026-01-05", "to": "2026-02-23"}


def _french(browser):
    browser.cookies["django_language"] = "fr"
    return browser


def _assert_unlocalised(html: str) -> list[tuple[str, str]]:
    assert 'class="spark-anomaly"' in html  # the marker is drawn at all
    for name, value in COORDINATE.findall(html):
        assert re.fullmatch(NUMBER, value), f'{name}="{value}"'
    for points in POINTS.findall(html):  # "x,y x,y …": the comma separates x from y, nothing else
        assert all(re.fullmatch(f"{NUMBER},{NUMBER}", pair) for pair in points.split()), points
    return MARKER.findall(html)


def test_dashboard_sparkline_markers_keep_a_decimal_point_in_french(http_as, golden, in_alpha):
    # given an anomaly on the leads of the second of eight weeks (x = 17.1)
    marked = Snapshot.objects.filter(kpi="leads", period="week", dimension="", start="2026-01-12")
    assert marked.update(anomaly="high") == 1

    html = _french(http_as(golden.viewer_alpha)).get("/c/alpha/", EIGHT_WEEKS).content.decode()

    start = html.index('data-testid="card-leads"')
    card = html[start : html.index("</li>", start)]
    assert 'lang="fr"' in html
    assert _assert_unlocalised(card)[0][0] == f"{SPARK_WIDTH / 7:.1f}" == "17.1"


def test_portfolio_sparkline_markers_keep_a_decimal_point_in_french(http_as, world):
    # given eight complete months of leads for alpha, the second one an anomaly
    values = [10, 13, 25, 18, 30, 22, 17, 26]
    month = date(2025, 7, 1)
    for i, value in enumerate(values):
        Headline.objects.create(
            client=world.alpha, kpi="leads", start=month, value=value, anomaly="high" if i == 1 else None
        )
        month = (month + timedelta(days=32)).replace(day=1)

    html = _french(http_as(world.owner)).get("/").content.decode()

    row = html[html.index('data-client="alpha"') :]
    # x = 120 / 7 = 17.1; y = 30 - (13 - 10) / 20 * 28 = 25.8
    assert _assert_unlocalised(row) == [("17.1", "25.8")]
