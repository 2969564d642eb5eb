"""`make demo`'s data: the demo agency sees its three clients, each client's viewer only its own."""

from pathlib import Path

import pytest

from tenants.access import clients_visible_to
from tenants.demo import DEMO_CLIENTS, DEMO_PASSWORD, demo_accounts_seed
from tenants.models import Agency, Client, Membership, User
from tests.browser import browser_page, screenshot
from tests.processes import free_port, start_web, stop

DEMO_SLUGS = [c.slug for c in DEMO_CLIENTS]


def test_the_demo_seed_is_repeatable(db):
    demo_accounts_seed()
    counts = (Agency.objects.count(), Client.objects.count(), User.objects.count(), Membership.objects.count())
    # when seeded again
    demo_accounts_seed()
    # then nothing was duplicated
    assert (Agency.objects.count(), Client.objects.count(), User.objects.count(), Membership.objects.count()) == counts
    assert User.objects.get(email="direction@agence-demo.fr").check_password(DEMO_PASSWORD)


def test_the_demo_agency_sees_its_three_clients_and_a_viewer_only_its_own(db, http_as):
    demo_accounts_seed()
    owner = User.objects.get(email="direction@agence-demo.fr")
    viewer = User.objects.get(email="lecture@velo-nord.fr")
    assert {a.client.slug for a in clients_visible_to(owner)} == set(DEMO_SLUGS)
    assert [a.client.slug for a in clients_visible_to(viewer)] == ["velo-nord"]
    page = http_as(owner).get("/").content.decode()
    assert all(f'data-client="{slug}"' in page for slug in DEMO_SLUGS)
    as_viewer = http_as(viewer)
    assert as_viewer.get("/")["Location"] == "/c/velo-nord/"
    assert as_viewer.get("/c/velo-nord/").status_code == 200
    assert as_viewer.get("/c/maison-lumiere/").status_code == 404


def test_the_demo_clients_have_kpis_objectives_and_a_portfolio(db, http_as):
    from django_tenants.utils import tenant_context

    from kpis.models import Objective, Snapshot

    demo_accounts_seed()
    for client in Client.objects.filter(slug__in=DEMO_SLUGS):
        with tenant_context(client):
            months = Snapshot.objects.filter(period="month", kpi="leads", dimension="").count()
            assert months >= 12, client.slug  # twelve months of data, refreshed by the seed
            assert Objective.objects.filter(period="week").count() == 2
            assert Snapshot.objects.filter(target__isnull=False, status__isnull=False).exists()
    owner = User.objects.get(email="direction@agence-demo.fr")
    portfolio = http_as(owner).get("/api/v1/portfolio/").json()
    assert {row["slug"] for row in portfolio} == set(DEMO_SLUGS)
    assert all(len(row["kpis"]["leads"]["months"]) == 13 and row["as_of"] for row in portfolio)


@pytest.fixture(scope="module")
def demo_server(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo accounts, committed, served by gunicorn as `make demo` serves them."""
    with django_db_blocker.unblock():
        demo_accounts_seed()
    port = free_port()
    process = start_web(port, Path(tmp_path_factory.mktemp("web")) / "gunicorn.log")
    yield f"http://127.0.0.1:{port}"
    stop(process)


def _log_in(page, email: str) -> None:
    page.goto("/")
    page.fill("#id_username", email)
    page.fill("#id_password", DEMO_PASSWORD)
    page.click("button[type=submit].primary")


@pytest.mark.browser
def test_in_a_browser_the_agency_logs_in_and_sees_all_three_demo_clients(demo_server):
    with browser_page(demo_server) as page:
        page.goto("/")
        assert page.locator("h1").inner_text() == "Se connecter à Pouls"
        _log_in(page, "direction@agence-demo.fr")
        page.wait_for_selector("[data-testid=client-switcher]")
        rows = page.locator("[data-testid=client-switcher] tbody tr")
        assert sorted(rows.evaluate_all("rows => rows.map(r => r.dataset.client)")) == sorted(DEMO_SLUGS)
        screenshot(page, "agency-client-switcher")
        page.click("text=Vélo Nord")
        page.wait_for_url("**/c/velo-nord/")
        assert page.locator("[data-testid=client-title]").inner_text() == "Vélo Nord"


@pytest.mark.browser
def test_in_a_browser_a_client_viewer_sees_only_its_own_client(demo_server):
    with browser_page(demo_server) as page:
        _log_in(page, "lecture@atelier-sillon.fr")
        page.wait_for_url("**/c/atelier-sillon/")
        assert page.locator("[data-testid=current-client]").inner_text() == "Atelier Sillon"
        assert page.locator("text=Administration").count() == 0
        screenshot(page, "viewer-client-home")
        response = page.goto("/c/maison-lumiere/")
        assert response.status == 404
