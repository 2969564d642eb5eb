"""The agency portfolio page at the public root: every client the user may see, worst first."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from conftest import GOLDEN_AS_OF as AS_OF
from kpis.models import Objective
from kpis.refresh import kpi_snapshot_refresh
from portfolio.models import Headline, Pulse
from tests.test_golden_kpis import import_golden


@pytest.fixture
def red_alpha(db, world):
    """alpha with the golden data and a monthly leads objective it misses (red), refreshed."""
    import_golden()
    with tenant_context(world.alpha):
        Objective.objects.create(kpi="leads", period="month", target=1000)
        kpi_snapshot_refresh(full=True, as_of=AS_OF)
    connection.set_schema_to_public()
    return world


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="portfolio-row[^"]*" data-client="([^"]+)"', html)


def test_agency_people_see_every_client_worst_first_with_headlines_and_sparklines(http_as, red_alpha):
    html = http_as(red_alpha.owner).get("/").content.decode()
    assert _rows(html) == ["alpha", "beta"]  # alpha is red; beta was never refreshed
    alpha = html[html.index('data-client="alpha"') : html.index('data-client="beta"')]
    # the last complete month (March; April is in progress on the 15th)
    march = Headline.objects.get(client=red_alpha.alpha, kpi="leads", start="2026-03-01")
    assert march.status == "red"
    assert f'data-kpi="leads">\n        {round(march.value)}' in alpha and "mars 2026" in html
    assert "Hors objectif" in alpha and "✕" in alpha  # in words, not colour alone
    assert "<polyline" in alpha and 'href="/c/alpha/"' in alpha
    assert "attention-badge" in alpha


def test_the_needs_attention_filter_and_the_sort_by_name(http_as, world):
    # given beta in a worse state than alpha (beta: 3 reds; alpha: refreshed, nothing red)
    Pulse.objects.create(client=world.alpha, as_of=AS_OF, red=0, anomalies=0)
    Pulse.objects.create(client=world.beta, as_of=AS_OF, red=3, anomalies=1)
    owner = http_as(world.owner)
    assert _rows(owner.get("/").content.decode()) == ["beta", "alpha"]  # worst first
    assert _rows(owner.get("/", {"sort": "name"}).content.decode()) == ["alpha", "beta"]
    assert _rows(owner.get("/", {"attention": "1"}).content.decode()) == ["beta"]
    assert _rows(owner.get("/", {"attention": "1", "sort": "name"}).content.decode()) == ["beta"]


def test_each_agency_sees_its_own_clients_and_client_people_their_dashboard(http_as, red_alpha):
    assert _rows(http_as(red_alpha.other_owner).get("/").content.decode()) == ["gamma"]
    assert http_as(red_alpha.viewer_alpha).get("/")["Location"] == "/c/alpha/"
    assert http_as(red_alpha.manager_alpha).get("/")["Location"] == "/c/alpha/"


def test_the_portfolio_reads_a_fixed_number_of_queries(http_as, red_alpha):
    owner = http_as(red_alpha.owner)
    owner.get("/")
    with CaptureQueriesContext(connection) as captured:
        owner.get("/")
    statements = [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]
    # routing (the public tenant), session, user, memberships, whether any client is reached as agency
    # people, the page's clients with their pulses, their agency (whose headline choice it is: one
    # agency) and their count, the page's headlines and sources, archived clients (issue 18)
    assert len(statements) == 9, statements
    assert not [s for s in statements if 'FROM "portfolio_pulse"' in s]  # joined to the page's clients


def test_a_month_in_progress_is_not_judged_against_a_whole_months_target(db, world):
    import_golden()
    with tenant_context(world.alpha):
        Objective.objects.create(kpi="leads", period="month", target=35)  # March made exactly 35
        kpi_snapshot_refresh(full=True, as_of=AS_OF)
    connection.set_schema_to_public()
    march, april = (
        Headline.objects.get(client=world.alpha, kpi="leads", start=d) for d in ("2026-03-01", "2026-04-01")
    )
    assert (march.value, march.status, april.is_partial, april.status) == (35, "green", True, "red")
    # then the pulse counts no red: the complete month is green, and there is no pacing objective
    pulse = world.alpha.pulse
    pulse.refresh_from_db()
    assert pulse.red == 0
