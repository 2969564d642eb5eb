"""The portfolio API reports the month the portfolio page shows, and says which month it is (issue 14):
both read ``PortfolioRow.reported_month``, the last complete month (the one in progress is not judged
against a whole month's target)."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from conftest import GOLDEN_AS_OF as AS_OF
from kpis.models import Objective
from kpis.refresh import kpi_snapshot_refresh
from portfolio.models import HEADLINE_KPIS, Headline
from tests.test_golden_kpis import import_golden


@pytest.fixture
def refreshed_alpha(db, world):
    """alpha with the golden data, refreshed on 15 April 2026: March is complete, April in progress."""
    import_golden()
    with tenant_context(world.alpha):
        Objective.objects.create(kpi="leads", period="month", target=1000)
        kpi_snapshot_refresh(full=True, as_of=AS_OF)
    connection.set_schema_to_public()
    return world


def _page_cells(html: str, slug: str) -> dict[str, str]:
    row = re.search(rf'data-client="{slug}".*?</tr>', html, re.S).group(0)
    return {kpi: " ".join(text.split()) for kpi, text in re.findall(r'data-kpi="([^"]+)">(.*?)<', row, re.S)}


def test_the_api_reports_the_pages_month_and_says_which(http_as, refreshed_alpha):
    owner = http_as(refreshed_alpha.owner)
    html = owner.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    rows = {row["slug"]: row for row in owner.get("/api/v1/portfolio/").json()["results"]}
    alpha = rows["alpha"]
    april = Headline.objects.get(client=refreshed_alpha.alpha, kpi="leads", start="2026-04-01")
    assert april.is_partial  # the month in progress exists: the API used to report it
    assert alpha["month"] == "2026-03-01" and "mars 2026" in html
    march = {h.kpi: h for h in Headline.objects.filter(client=refreshed_alpha.alpha, start="2026-03-01")}
    for kpi in HEADLINE_KPIS:
        reported = alpha["kpis"][kpi]
        assert (reported["value"], reported["status"], reported["target"]) == (
            march[kpi].value,
            march[kpi].status,
            march[kpi].target,
        ), kpi
    assert alpha["kpis"]["leads"]["status"] == "red"  # the page's verdict: March missed 1000 leads
    cells = _page_cells(html, "alpha")
    assert cells["leads"] == str(round(march["leads"].value))  # the same number on the page
    assert rows["beta"]["month"] is None  # never refreshed: no month to report


def test_the_reported_month_is_documented_in_the_public_openapi_document(anonymous):
    document = anonymous.get("/api/v1/schema/", {"format": "json"}, headers={"Accept-Language": "en"}).json()
    month = document["components"]["schemas"]["PortfolioRow"]["properties"]["month"]
    assert month["format"] == "date" and month.get("nullable") and "last complete month" in month["description"]
    assert "month" in document["components"]["schemas"]["PortfolioRow"]["required"]
