"""A custom KPI in a browser, on the demo served by gunicorn (docs/kpis.md, "Custom KPIs and
metrics"): a manager defines it in the client admin — a misspelt measure is refused under the
formula with its position —, and after a refresh its card is on the dashboard beside the built-in
KPIs, with the value of the built-in KPI its formula equals (``spend / sqls`` is the cost per SQL).
Screenshots: artifacts/first-hour/custom-kpi-form.png and custom-kpi-card.png."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from kpis.custom.services import custom_kpi_delete
from kpis.models import CustomKPI
from kpis.refresh import kpi_snapshot_refresh
from tenants.models import Client
from tests import first_hour
from tests.first_hour import log_in, shot, shot_of

demo_server, new_page = first_hour.demo_server, first_hour.new_page  # the module's fixtures

MANAGER, SLUG = "marketing@maison-lumiere.fr", "maison-lumiere"
KEY = "cout_par_sql_maison"


def in_client(work):
    """``work()`` in the demo client, in a thread of its own with its own connection: Playwright's
    event loop in this one makes Django refuse database calls here."""

    def run():
        try:
            with tenant_context(Client.objects.get(slug=SLUG)):
                return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _custom_kpis_delete() -> None:
    for row in CustomKPI.objects.filter(key=KEY):
        custom_kpi_delete(row)


@pytest.fixture
def demo_db(demo_server, django_db_blocker):
    """Reads and a refresh of the committed demo data from the test; its custom KPI removed afterwards."""
    with django_db_blocker.unblock():
        yield
        in_client(_custom_kpis_delete)


@pytest.mark.browser
def test_a_custom_kpi_gets_its_card_on_the_dashboard(new_page, demo_db):
    page = new_page()
    log_in(page, MANAGER, "fr")
    page.goto(f"/c/{SLUG}/admin/kpis/customkpi/add/")
    page.fill("#id_key", KEY)
    page.fill("#id_name", "Coût par SQL (maison)")
    page.fill("#id_formula", "spend / sqlz")
    page.select_option("#id_unit", "money")
    page.select_option("#id_better", "down")
    page.click("input[type=submit][name=_save]")
    error = page.locator(".field-formula .errorlist").inner_text()
    assert error.startswith("position 9") and "sqlz" in error  # refused at its position, nothing saved
    shot(page, "custom-kpi-form")
    page.fill("#id_formula", "spend / sqls")
    with page.expect_navigation():
        page.click("input[type=submit][name=_save]")
    assert in_client(lambda: CustomKPI.objects.get(key=KEY).formula) == "spend / sqls"
    assert in_client(kpi_snapshot_refresh).mode == "full"  # what the queued refresh does (no worker here)
    page.goto(f"/c/{SLUG}/")
    card = page.locator(f'[data-testid="card-{KEY}"]')
    assert card.locator(".kpi-card__name").inner_text() == "Coût par SQL (maison)"
    built_in = page.locator('[data-testid="card-cost_per_sql"] [data-role=value]').inner_text()
    assert card.locator("[data-role=value]").inner_text() == built_in
    assert "€" in built_in  # the demo's Maison Lumière has SQLs and spend: a real amount, not "—"
    assert "spend / sqls" in card.locator(".kpi-card__definition").text_content()
    shot_of(card, "custom-kpi-card")
    page.context.close()
