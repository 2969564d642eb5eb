"""An agency chooses the headline KPIs of its portfolio (tenants.Agency.headline_kpis): every refresh
publishes every candidate, so the page and the API show the new columns at once; its owners choose,
nobody else; a refused choice is a 400 with its errors; "needs attention" keeps watching the default
set; the page's query count does not change."""

import re
from html import unescape as html_unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django.utils.translation import gettext
from django_tenants.utils import tenant_context

from conftest import GOLDEN_AS_OF as AS_OF
from kpis.models import Objective
from kpis.refresh import kpi_snapshot_refresh
from kpis.registry import KPIS
from portfolio.models import HEADLINE_CANDIDATES, HEADLINE_KPIS, Headline
from portfolio.selectors import headline_choice_for
from tenants.access import visibility_for
from tenants.models import Agency
from tests.formats import euros_fr
from tests.test_golden_kpis import import_golden

CHOSEN = ["cost_per_customer", "cost_per_mql", "sqls", "cost_per_sql"]


@pytest.fixture
def refreshed_alpha(db, world):
    """alpha with the golden data, refreshed on 15 April 2026 (March complete), and a March cost per
    customer objective it misses (red)."""
    import_golden()
    with tenant_context(world.alpha):
        Objective.objects.create(kpi="cost_per_customer", period="month", target=1)
        kpi_snapshot_refresh(full=True, as_of=AS_OF)
    connection.set_schema_to_public()
    world.agency.refresh_from_db()
    return world


def _choose(browser, kpis: list[str]):
    return browser.post("/portfolio/headlines/", {f"column_{n}": k for n, k in enumerate(kpis, start=1)})


def _headers(html: str) -> list[str]:
    head = html[html.index('data-testid="portfolio"') : html.index("</thead>")]
    return [html_unescape(name) for name in re.findall(r'<th scope="col" class="num">([^<]+)</th>', head)]


def _cells(html: str, slug: str) -> dict[str, str]:
    row = re.search(rf'data-client="{slug}".*?</tr>', html, re.S).group(0)
    return {kpi: " ".join(text.split()) for kpi, text in re.findall(r'data-kpi="([^"]+)">(.*?)<', row, re.S)}


def test_every_candidate_is_published_for_the_last_thirteen_months(refreshed_alpha):
    published = set(Headline.objects.filter(client=refreshed_alpha.alpha).values_list("kpi", flat=True))
    assert published == set(HEADLINE_CANDIDATES)
    assert {"cost_per_mql", "cost_per_sql", "cost_per_customer"} <= published


def test_an_owner_chooses_the_columns_and_the_page_and_the_api_show_them_at_once(http_as, refreshed_alpha):
    owner = http_as(refreshed_alpha.owner)
    assert _headers(owner.get("/").content.decode())[:4] == [KPIS[k].name("fr") for k in HEADLINE_KPIS]

    # when the owner chooses four columns (no refresh in between)
    response = _choose(owner, CHOSEN)

    # then the page and the API show them, in that order, with March's published values
    assert response.status_code == 302 and response["Location"] == "/"
    refreshed_alpha.agency.refresh_from_db()
    assert refreshed_alpha.agency.headline_kpis == CHOSEN
    html = owner.get("/").content.decode()
    assert _headers(html)[:4] == [KPIS[k].name("fr") for k in CHOSEN]
    march = {h.kpi: h for h in Headline.objects.filter(client=refreshed_alpha.alpha, start="2026-03-01")}
    cells = _cells(html, "alpha")
    assert [k for k in cells if k in KPIS] == CHOSEN
    assert cells["cost_per_customer"] == " ".join(
        euros_fr(march["cost_per_customer"].value).split()
    )  # cells: spaces joined
    assert cells["sqls"] == str(round(march["sqls"].value))
    assert "<polyline" in html  # the leads sparkline stays, leads or not among the columns
    rows = {row["slug"]: row for row in owner.get("/api/v1/portfolio/").json()["results"]}
    assert list(rows["alpha"]["kpis"]) == CHOSEN
    assert rows["alpha"]["kpis"]["cost_per_mql"]["value"] == march["cost_per_mql"].value
    assert rows["alpha"]["kpis"]["cost_per_customer"]["status"] == "red"
    assert len(rows["alpha"]["kpis"]["cost_per_sql"]["months"]) == 4  # January to April
    # everyone in the agency sees them; another agency keeps the default
    staff = http_as(refreshed_alpha.staff).get("/api/v1/portfolio/").json()["results"]
    assert list(staff[0]["kpis"]) == CHOSEN
    other = http_as(refreshed_alpha.other_owner).get("/api/v1/portfolio/").json()["results"]
    assert list(other[0]["kpis"]) == list(HEADLINE_KPIS)

    # and back to the default
    assert owner.post("/portfolio/headlines/", {"action": "reset"}).status_code == 302
    assert _headers(owner.get("/").content.decode())[:4] == [KPIS[k].name("fr") for k in HEADLINE_KPIS]


def test_fewer_columns_are_fine_and_a_refused_choice_is_a_400_with_its_errors(http_as, refreshed_alpha):
    owner = http_as(refreshed_alpha.owner)
    assert _choose(owner, ["", "revenue", ""]).status_code == 302
    assert _headers(owner.get("/").content.decode())[:2] == [KPIS["revenue"].name("fr"), "Rythme"]

    for refused in (["leads", "leads"], ["nope"], ["", ""], ["cta_click_rate"]):
        response = _choose(owner, refused)
        assert response.status_code == 400, refused
        html = response.content.decode()
        assert 'data-testid="headline-errors"' in html and "<details" in html
    with translation.override("fr"):  # the service's words, in the page's language
        twice = gettext("A headline KPI is chosen twice.")
    assert twice in _choose(owner, ["leads", "leads"]).content.decode()
    refreshed_alpha.agency.refresh_from_db()
    assert refreshed_alpha.agency.headline_kpis == ["revenue"]  # unchanged by the refused ones


def test_only_the_agencys_owners_choose(http_as, refreshed_alpha):
    for user in (refreshed_alpha.staff, refreshed_alpha.manager_alpha, refreshed_alpha.viewer_alpha):
        assert _choose(http_as(user), CHOSEN).status_code == 403, user
    assert _choose(http_as(refreshed_alpha.outsider), CHOSEN).status_code == 404
    assert http_as(None).post("/portfolio/headlines/", {"column_1": "leads"}).status_code == 302  # to the login
    assert http_as(refreshed_alpha.owner).get("/portfolio/headlines/").status_code == 405
    # another agency's owner changes their own agency's portfolio, never this one
    assert _choose(http_as(refreshed_alpha.other_owner), CHOSEN).status_code == 302
    refreshed_alpha.agency.refresh_from_db()
    refreshed_alpha.other_agency.refresh_from_db()
    assert refreshed_alpha.agency.headline_kpis == [] and refreshed_alpha.other_agency.headline_kpis == CHOSEN
    # the form is the owners' only
    assert 'data-testid="headline-choice"' in http_as(refreshed_alpha.owner).get("/").content.decode()
    assert 'data-testid="headline-choice"' not in http_as(refreshed_alpha.staff).get("/").content.decode()


def test_needs_attention_watches_the_default_set_whatever_the_columns(http_as, refreshed_alpha):
    # the red cost per customer is not one of the default headlines: it does not make alpha need attention
    pulse = refreshed_alpha.alpha.pulse
    pulse.refresh_from_db()
    assert pulse.red == 0
    owner = http_as(refreshed_alpha.owner)
    before = [r["needs_attention"] for r in owner.get("/api/v1/portfolio/").json()["results"]]
    _choose(owner, CHOSEN)
    assert [r["needs_attention"] for r in owner.get("/api/v1/portfolio/").json()["results"]] == before


def test_the_page_reads_the_same_number_of_queries_whatever_the_choice(http_as, refreshed_alpha):
    owner = http_as(refreshed_alpha.owner)

    def statements() -> int:
        owner.get("/")
        with CaptureQueriesContext(connection) as captured:
            assert owner.get("/").status_code == 200
        return len([q for q in captured.captured_queries if not q["sql"].startswith("SET search_path")])

    default = statements()
    _choose(owner, CHOSEN)
    assert statements() == default == 9  # as tests/test_portfolio_page.py counts them


def test_the_clients_shown_name_the_agency_of_someone_in_one_agency_only(db, world):
    # in the database only (rolled back with the test): the session's `world.agency` object, which its
    # clients share, keeps Pouls' default for the tests that follow
    Agency.objects.filter(pk=world.agency.pk).update(headline_kpis=CHOSEN)
    for user in (world.owner, world.staff, world.other_owner, world.manager_alpha, world.viewer_beta):
        visibility = visibility_for(user)
        shown = list(visibility.clients().select_related("agency"))
        with CaptureQueriesContext(connection) as captured:
            choice = headline_choice_for(visibility, shown=shown)
        # the same choice as the query finds, read from the clients shown when they must be the agency's
        assert choice == headline_choice_for(visibility)
        assert len(captured.captured_queries) == (0 if user in (world.owner, world.staff, world.other_owner) else 1)
    assert headline_choice_for(visibility_for(world.owner), shown=[]).kpis == tuple(CHOSEN)  # none shown: the query
    assert headline_choice_for(visibility_for(world.staff)).can_change is False
