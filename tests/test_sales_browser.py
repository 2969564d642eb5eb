"""In a real browser: a salesperson edits a lead, moves it to customer with an amount and corrects a
mis-click (gunicorn on the test database, Debian's chromium)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from conftest import PASSWORD
from leads.models import Lead, Stage, StageTransition
from leads.tests.factories import LeadFactory
from tests.browser import browser_page, screenshot
from tests.processes import free_port, start_web, stop

NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.fixture
def db(committed):
    """Committed rows (gunicorn must see them): ``db`` here is ``committed``, as in the board's browser test."""
    return committed


@pytest.fixture(scope="module")
def web(django_db_setup, world, tmp_path_factory):
    port = free_port()
    process = start_web(port, Path(tmp_path_factory.mktemp("web")) / "gunicorn.log")
    yield f"http://127.0.0.1:{port}"
    stop(process)


@pytest.mark.browser
def test_in_a_browser_a_salesperson_edits_a_lead_wins_it_with_an_amount_and_corrects_a_mis_click(db, in_client, web):
    world = db
    in_client(world.alpha)
    # given Nora, an SQL without a deal value, and Omar, another SQL without one
    nora = LeadFactory(
        email="nora@velo.test", first_name="Nora", last_name="Diallo", company="Vélo Nord", stage=Stage.SQL
    )
    omar = LeadFactory(email="omar@atelier.test", first_name="Omar", company="Atelier Sillon", stage=Stage.SQL)
    page_url = f"/c/alpha/leads/{nora.pk}/"

    with browser_page(web) as page:
        page.goto("/accounts/login/")
        page.fill("#id_username", world.sales_alpha.email)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/c/alpha/")
        page.goto(page_url)

        # when they open the edit form, fill in the phone and the company's size, and mistype the email
        page.click("[data-testid=edit-details] summary")
        page.fill("#id_phone", "+33 6 12 34 56 78")
        page.fill("#id_company_size", "40")
        page.fill("#id_email", "nora-at-velo.test")
        page.click("[data-testid=edit-save]")
        # then the page comes back with the error under that field, and their typing kept
        page.wait_for_selector("[data-testid=error-email]")
        assert page.input_value("#id_phone") == "+33 6 12 34 56 78"
        # when they correct it and save
        page.fill("#id_email", "nora@velo.test")
        page.click("[data-testid=edit-save]")
        page.wait_for_url(f"**{page_url}")
        # then the newest history entry is their edit
        assert page.locator("[data-testid=history] li").first.get_attribute("data-kind") == "edited"

        # when they press "Customer": the page asks for the amount, and they give it
        page.click("[data-testid=move-to-customer]")
        page.wait_for_selector("[data-testid=stage-step]")
        page.fill("[data-testid=step-deal-value]", "12 500")
        page.click("[data-testid=step-submit]")
        page.wait_for_url(f"**{page_url}")
        # then Nora is a customer worth 12 500 €
        assert page.locator("[data-testid=lead-stage]").get_attribute("class").endswith("stage-badge--customer")
        assert page.locator("[data-testid=deal-value]").inner_text() == f"12{NNBSP}500{NBSP}€"

        # when they move her back to lead, realising that was a mis-click: a correction
        page.click("[data-testid=move-to-lead]")
        page.wait_for_selector("[data-testid=kind-choice]")
        page.check("[data-testid=kind-correction]")
        page.fill("#step-reason", "mis-click")
        screenshot(page, "lead-correction-step")
        page.click("[data-testid=step-submit]")
        page.wait_for_url(f"**{page_url}")
        # then she is a lead that never reached the later stages, and the history says so
        assert page.locator("[data-testid=lead-stage]").get_attribute("class").endswith("stage-badge--lead")
        assert page.locator("[data-testid=stage-track] .is-reached").count() == 1
        newest = page.locator("[data-testid=history] li").first
        assert newest.get_attribute("data-kind") == "corrected"
        assert "mis-click" in newest.inner_text()

        # when, on the board, they drag Omar (no amount yet) onto the customer column
        page.goto("/c/alpha/leads/")
        page.locator(f'[data-testid=column-sql] [data-lead="{omar.pk}"]').drag_to(
            page.locator("[data-testid=column-customer]")
        )
        # then the board does not move him blindly: his page asks for the amount first
        page.wait_for_selector("[data-testid=stage-step] [data-testid=step-deal-value]")
        assert f"/c/alpha/leads/{omar.pk}/?move=customer" in page.url
        page.click("[data-testid=step-submit]")  # left empty: "amount missing"
        page.wait_for_url("**/c/alpha/leads/")
        assert page.locator('[data-testid=column-customer] [data-testid="card-amount-missing"]').count() == 1
        screenshot(page, "pipeline-amount-missing")

    # and the database agrees
    nora = Lead.objects.get(pk=nora.pk)
    assert (nora.stage, nora.company_size, nora.deal_value) == (Stage.LEAD, 40, Decimal(12500))
    assert (nora.mql_at, nora.sql_at, nora.customer_at) == (None, None, None)
    kinds = list(nora.transitions.order_by("pk").values_list("kind", flat=True))
    assert kinds[-3:] == [StageTransition.Kind.EDITED, StageTransition.Kind.MOVED, StageTransition.Kind.CORRECTED]
    assert Lead.objects.get(pk=omar.pk).stage == Stage.CUSTOMER


def _fr(text) -> str:
    """A label as the page writes it (the browser asks for French)."""
    with translation.override("fr"):
        return str(text)


@pytest.mark.browser
def test_in_a_browser_a_salesperson_edits_contact_company_owner_and_amount_and_a_correction_voids_the_reaches(
    db, in_client, web
):
    world = db
    in_client(world.alpha)
    # given Rose, an MQL of alpha that nobody owns, thought to be worth 3 000 €
    rose = LeadFactory(
        email="rose@fromagerie.test",
        first_name="Rose",
        last_name="Lemaire",
        company="Fromagerie",
        stage=Stage.MQL,
        deal_value=Decimal(3000),
    )
    mql_reached = rose.mql_at
    page_url = f"/c/alpha/leads/{rose.pk}/"
    history = "[data-testid=history] > li"
    sql, customer = _fr(Stage.SQL.label), _fr(Stage.CUSTOMER.label)

    with browser_page(web) as page:
        page.goto("/accounts/login/")
        page.fill("#id_username", world.sales_alpha.email)
        page.fill("#id_password", PASSWORD)
        page.click("button[type=submit].primary")
        page.wait_for_url("**/c/alpha/")
        page.goto(page_url)
        assert page.locator(history).first.get_attribute("data-kind") == "created"

        # when the salesperson corrects her name, adds her phone, renames her company and raises the amount
        page.click("[data-testid=edit-details] summary")
        page.fill("#id_last_name", "Lemaire-Roux")
        page.fill("#id_phone", "+33 6 98 76 54 32")
        page.fill("#id_company", "Fromagerie du Val")
        page.fill("#id_deal_value", "4500")
        page.click("[data-testid=edit-save]")
        # then the page shows them, and the newest history entry lists each field before and after
        edited = page.locator(f"{history}[data-kind=edited]")
        edited.wait_for()
        changes = edited.locator("[data-testid=history-changes]").inner_text()
        assert "Lemaire → Lemaire-Roux" in changes
        assert "— → +33 6 98 76 54 32" in changes
        assert "Fromagerie → Fromagerie du Val" in changes
        assert f"3{NNBSP}000{NBSP}€ → 4{NNBSP}500{NBSP}€" in changes
        assert page.locator("[data-testid=lead-title]").inner_text() == "Rose Lemaire-Roux"
        assert page.locator("[data-testid=deal-value]").inner_text() == f"4{NNBSP}500{NBSP}€"

        # when they make alpha's manager her owner
        page.select_option("[data-testid=assign-form] select[name=owner]", str(world.manager_alpha.pk))
        page.click("[data-testid=assign-form] button[type=submit]")
        # then that is the newest entry of her history, and the owner the form now shows
        page.locator(f"{history}[data-kind=assigned]").wait_for()
        assert page.locator(history).first.get_attribute("data-kind") == "assigned"
        assert page.input_value("[data-testid=assign-form] select[name=owner]") == str(world.manager_alpha.pk)

        # when they win her: the page asks for the deal value, offering the one they entered
        page.click("[data-testid=move-to-customer]")
        page.wait_for_selector("[data-testid=stage-step] [data-testid=step-deal-value]")
        assert page.locator("[data-testid=kind-choice]").count() == 0  # forward: nothing to choose
        assert page.input_value("[data-testid=step-deal-value]").replace(NNBSP, " ").replace(NBSP, " ") == "4 500"
        page.fill("[data-testid=step-deal-value]", "9800")
        page.click("[data-testid=step-submit]")
        # then she is a customer worth the final amount, every stage reached
        page.wait_for_selector("[data-testid=lead-stage].stage-badge--customer")
        assert page.locator("[data-testid=deal-value]").inner_text() == f"9{NNBSP}800{NBSP}€"
        assert page.locator("[data-testid=stage-track] .is-reached").count() == 4
        assert page.locator("[data-testid=amount-missing]").count() == 0

        # when they take it back to MQL, saying it was a mis-click: a correction, which names what it voids
        page.click("[data-testid=move-to-mql]")
        page.wait_for_selector("[data-testid=kind-choice]")
        assert page.locator("[data-testid=step-deal-value]").count() == 0  # a move back asks no amount
        assert f"{sql}, {customer}" in page.locator("[data-testid=kind-choice]").inner_text()
        page.check("[data-testid=kind-correction]")
        page.fill("#step-reason", "mis-click")
        page.click("[data-testid=step-submit]")
        # then she is an MQL again, SQL and customer no longer reached, and the history says so
        page.wait_for_selector("[data-testid=lead-stage].stage-badge--mql")
        assert page.locator("[data-testid=stage-track] .is-reached").count() == 2
        corrected = page.locator(history).first
        assert corrected.get_attribute("data-kind") == "corrected"
        assert f"{sql}, {customer}" in corrected.locator("[data-testid=history-changes]").inner_text()
        assert "mis-click" in corrected.inner_text()
        # while the entries of the edit, the owner and the win stay
        kinds = page.locator(history).evaluate_all("items => items.map(i => i.dataset.kind)")
        assert kinds == ["corrected", "moved", "assigned", "edited", "created"]
        screenshot(page, "lead-edited-won-corrected")

    # and the database agrees: the edits kept, SQL and customer reaches voided, MQL's kept
    rose = Lead.objects.get(pk=rose.pk)
    assert (rose.last_name, rose.phone, rose.company) == ("Lemaire-Roux", "+33 6 98 76 54 32", "Fromagerie du Val")
    assert (rose.stage, rose.deal_value, rose.owner) == (Stage.MQL, Decimal(9800), world.manager_alpha)
    assert (rose.mql_at, rose.sql_at, rose.customer_at) == (mql_reached, None, None)
    entries = list(rose.transitions.order_by("pk"))
    assert [e.kind for e in entries][-4:] == ["edited", "assigned", "moved", "corrected"]
    edit, _assign, win, correction = entries[-4:]
    assert set(edit.changes) == {"last_name", "phone", "company", "deal_value"}
    assert "deal_value" in win.changes and win.to_stage == Stage.CUSTOMER
    assert set(correction.changes) == {"sql_at", "customer_at"} and correction.reason == "mis-click"
    assert all(e.by == world.sales_alpha for e in entries[-4:])
