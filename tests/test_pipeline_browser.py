"""In a real browser: a sales person works the pipeline board (gunicorn on the test database)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from conftest import PASSWORD
from leads.models import ChangeOrigin, Lead, Stage, StageTransition
from leads.tests.factories import LeadFactory
from tests.browser import browser_page, screenshot
from tests.processes import free_port, start_web, stop


@pytest.fixture
def db(committed):
    """pytest-django creates the test database only when a selected test asks for ``db``; this
    module's test needs it but with committed rows (gunicorn must see them), so ``db`` here is
    ``committed``. Lets the file run on its own and under ``-m browser``."""
    return committed


@pytest.fixture(scope="module")
def web(django_db_setup, world, tmp_path_factory):
    """The app served by gunicorn on the test database, as in production."""
    port = free_port()
    process = start_web(port, Path(tmp_path_factory.mktemp("web")) / "gunicorn.log")
    yield f"http://127.0.0.1:{port}"
    stop(process)


def _fr(text) -> str:
    with translation.override("fr"):
        return str(text)


@pytest.mark.browser
def test_in_a_browser_a_sales_person_moves_leads_on_the_board_and_the_history_shows_it(db, in_client, web):
    world = db
    in_client(world.alpha)
    # given a few committed leads of alpha, among them Claire, an MQL, and Hugo, a new lead
    claire = LeadFactory(
        email="claire@velo.test",
        first_name="Claire",
        last_name="Martin",
        company="Vélo Nord",
        stage=Stage.MQL,
        deal_value=Decimal(4800),
        owner=world.sales_alpha,
    )
    hugo = LeadFactory(
        email="hugo@atelier.test",
        first_name="Hugo",
        last_name="Bernard",
        company="Atelier Sillon",
        stage=Stage.LEAD,
        deal_value=Decimal(1200),
    )
    LeadFactory(
        email="ines@lumiere.test",
        first_name="Inès",
        last_name="Petit",
        company="Maison Lumière",
        stage=Stage.MQL,
        deal_value=Decimal(2500),
        owner=world.manager_alpha,
    )
    LeadFactory(
        email="jules@cafe.test",
        first_name="Jules",
        last_name="Roux",
        company="Café Rivage",
        stage=Stage.SQL,
        deal_value=Decimal(9000),
        owner=world.sales_alpha,
    )
    LeadFactory(
        email="lea@studio.test",
        first_name="Léa",
        last_name="Garnier",
        company="Studio Onde",
        stage=Stage.CUSTOMER,
        deal_value=Decimal(15000),
    )
    LeadFactory(email="contact@ferme.test", company="Ferme du Val", stage=Stage.LEAD)
    mql, sql = _fr(Stage.MQL.label), _fr(Stage.SQL.label)

    with browser_page(web) as page:
        # when the sales person logs in and opens the pipeline
        page.goto("/accounts/login/")
        page.fill("#id_username", world.sales_alpha.email)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/c/alpha/")
        page.click("[data-testid=pipeline-link]")
        page.wait_for_url("**/c/alpha/leads/")
        claire_card = f'[data-lead="{claire.pk}"]'
        assert page.locator(f"[data-testid=column-mql] {claire_card}").count() == 1
        # and presses the "SQL →" button on Claire's card
        page.click(f"[data-testid=column-mql] {claire_card} [data-testid=move-next]")
        # then, back on the board, Claire is in the SQL column and the MQL column has one lead less
        page.wait_for_selector(f"[data-testid=column-sql] {claire_card}")
        assert page.locator(f"[data-testid=column-mql] {claire_card}").count() == 0
        assert page.locator("[data-testid=column-mql] [data-testid=column-count]").inner_text() == "1"
        assert page.locator("[data-testid=column-sql] [data-testid=column-count]").inner_text() == "2"
        assert "Claire Martin" in page.locator(".messages").inner_text()

        # when they drag Hugo's card from "Lead" straight onto the "Customer" column
        page.locator(f'[data-testid=column-lead] [data-lead="{hugo.pk}"]').drag_to(
            page.locator("[data-testid=column-customer]")
        )
        # then the same form is posted and the board shows Hugo as a customer
        page.wait_for_selector(f'[data-testid=column-customer] [data-lead="{hugo.pk}"]:not(.is-moving)')
        page.wait_for_load_state("load")
        screenshot(page, "pipeline-board")

        # when they open Claire's page
        page.click(f"[data-testid=column-sql] {claire_card} a")
        page.wait_for_url(f"**/c/alpha/leads/{claire.pk}/")
        # then the newest history entry is their MQL → SQL move from the sales screens
        newest = page.locator("[data-testid=history] li").first
        assert newest.get_attribute("data-kind") == "moved"
        assert newest.locator("[data-testid=history-stages]").inner_text() == f"{mql} → {sql}"
        assert newest.locator("[data-testid=history-source]").inner_text() == _fr(ChangeOrigin.UI.label)
        assert page.locator("[data-testid=lead-stage]").inner_text() == sql

    # and the database agrees
    assert Lead.objects.get(pk=claire.pk).stage == Stage.SQL
    assert Lead.objects.get(pk=hugo.pk).stage == Stage.CUSTOMER
    moves = StageTransition.objects.filter(
        kind=StageTransition.Kind.MOVED, source=ChangeOrigin.UI, by=world.sales_alpha
    )
    assert sorted(moves.values_list("from_stage", "to_stage")) == [("lead", "customer"), ("mql", "sql")]
