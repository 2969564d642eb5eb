"""A CRM a salesperson can live in: the lead page edits contact, company and deal value (each refusal
under its field, every change in the history), reaching customer asks for the deal value (which may stay
empty: "amount missing", counted by the pipeline), a move back asks whether it is a correction or a
regression, a lost lead is re-opened before it moves, and the pipeline's totals count as open only the
leads before customer, with money in the client's format. Real PostgreSQL, real middleware, no mocks.

The pages are checked in French (the test agency's language) and English, with the words written out."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest

from leads.models import ChangeOrigin, Lead, Stage, StageTransition
from leads.services import lead_mark_lost, lead_move_stage
from leads.tests.factories import LeadFactory, LeadNoteFactory, StageMoveFactory, days_ago
from tenants.models import User

BOARD = "/c/alpha/leads/"
NBSP, NNBSP = "\u00a0", "\u202f"
Kind = StageTransition.Kind


def _page(lead) -> str:
    return f"/c/alpha/leads/{lead.pk}/"


def _fresh(lead: Lead) -> Lead:
    return Lead.objects.get(pk=lead.pk)


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def _edit(lead: Lead, **changes) -> dict:
    """The edit form as the page shows it for ``lead`` (French amounts), with ``changes`` typed in."""
    values = {
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "phone": lead.phone,
        "job_title": lead.job_title,
        "company": lead.company,
        "company_size": "" if lead.company_size is None else str(lead.company_size),
        "deal_value": "" if lead.deal_value is None else str(lead.deal_value).replace(".", ","),
    }
    return {**values, **changes}


@pytest.fixture
def sales(http_as, world):
    """``sales(language)``: alpha's sales person, logged in, reading ``language`` (default French)."""

    def make(language: str = "fr"):
        User.objects.filter(pk=world.sales_alpha.pk).update(language=language)
        return http_as(User.objects.get(pk=world.sales_alpha.pk))

    return make


# --- editing a lead ----------------------------------------------------------------------------------


def test_the_sales_person_edits_contact_company_and_deal_value_and_the_history_says_so(in_alpha, world, sales):
    lead = LeadFactory(email="ann@example.test", first_name="Ann", company="Acme", stage=Stage.SQL)
    browser = sales()
    # when they change the phone, the job title, the company's size and the deal value, typed the French way
    response = browser.post(
        f"{_page(lead)}edit/",
        _edit(lead, phone="+33 6 12 34 56 78", job_title="CMO", company_size="250", deal_value="4 800,50"),
    )
    # then they are back on the lead page, which says it is saved
    assert response.status_code == 302 and response["Location"] == _page(lead)
    fresh = _fresh(lead)
    assert (fresh.phone, fresh.job_title, fresh.company_size, fresh.deal_value) == (
        "+33 6 12 34 56 78",
        "CMO",
        250,
        Decimal("4800.50"),
    )
    # and the history has one "edited" entry naming each field before and after, by them, from the screens
    entry = fresh.transitions.order_by("pk").last()
    assert (entry.kind, entry.by_id, entry.source) == (Kind.EDITED, world.sales_alpha.pk, ChangeOrigin.UI)
    assert entry.changes == {
        "phone": ["", "+33 6 12 34 56 78"],
        "job_title": ["", "CMO"],
        "company_size": [None, 250],
        "deal_value": [None, "4800.50"],
    }
    # and the page shows the amount in the client's format, and the edit in the history
    page = browser.get(_page(lead))
    html = page.content.decode()
    assert f'data-testid="deal-value">4{NNBSP}800,50{NBSP}€<' in html
    timeline = re.search(r'data-testid="history".*?</ol>', html, re.S).group(0)
    assert (
        "Modifié" in timeline
        and f"Montant de l&#x27;affaire{NBSP}: — → 4{NNBSP}800,50{NBSP}€" in timeline
        and f"Téléphone{NBSP}: — → +33 6 12 34 56 78" in timeline
    )
    assert any("est enregistré" in m for m in _messages(page))


def test_a_refused_edit_shows_each_error_under_its_field_and_saves_nothing(in_alpha, sales):
    LeadFactory(email="taken@example.test")
    lead = LeadFactory(email="ann@example.test", first_name="Ann", deal_value=Decimal(100))
    before = list(lead.transitions.values_list("pk", flat=True))
    browser = sales("en")
    for changes, field, words in (
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": "Taken@Example.test"}, "email", "Another lead already has this email."),
        ({"deal_value": "-5"}, "deal_value", "Ensure this value is greater than or equal to 0."),
        ({"deal_value": "lots"}, "deal_value", "Enter a number."),
        ({"company_size": "big"}, "company_size", "Enter a whole number."),
    ):
        response = browser.post(f"{_page(lead)}edit/", _edit(lead, first_name="Anna", **changes))
        # then the lead page comes back with the form open, the error under its field, the typed values kept
        assert response.status_code == 200, changes
        html = response.content.decode()
        assert re.search(rf'data-testid="error-{field}">[^<]*{re.escape(words)}', html), (changes, field)
        assert 'data-testid="edit-details" open' in html
        assert 'value="Anna"' in html
    # and nothing was saved or recorded
    fresh = _fresh(lead)
    assert (fresh.first_name, fresh.email, fresh.deal_value) == ("Ann", "ann@example.test", Decimal(100))
    assert list(fresh.transitions.values_list("pk", flat=True)) == before


def test_an_edit_that_changes_nothing_records_nothing(in_alpha, sales):
    lead = LeadFactory(email="ann@example.test", first_name="Ann", deal_value=Decimal("1200.00"))
    count = lead.transitions.count()
    response = sales().post(f"{_page(lead)}edit/", _edit(lead, email=" ANN@example.test "), follow=True)
    assert f"Rien à enregistrer{NBSP}: aucun champ n'a changé." in _messages(response)
    assert lead.transitions.count() == count


def test_viewers_and_other_clients_cannot_edit(in_alpha, http_as, world):
    lead = LeadFactory(email="ann@example.test", first_name="Ann")
    assert http_as(world.viewer_alpha).post(f"{_page(lead)}edit/", _edit(lead, first_name="X")).status_code == 403
    assert http_as(world.viewer_beta).post(f"{_page(lead)}edit/", _edit(lead, first_name="X")).status_code == 404
    assert _fresh(lead).first_name == "Ann"


# --- reaching customer ---------------------------------------------------------------------------------


def test_reaching_customer_asks_for_the_deal_value_on_the_lead_page(in_alpha, sales):
    lead = LeadFactory(email="ann@example.test", stage=Stage.SQL, deal_value=Decimal(9000))
    browser = sales()
    # the lead page's "Customer" button opens the step rather than moving at once
    html = browser.get(_page(lead)).content.decode()
    assert 'href="?move=customer" data-testid="move-to-customer"' in html
    step = browser.get(f"{_page(lead)}?move=customer").content.decode()
    assert 'data-testid="stage-step"' in step and 'data-testid="kind-choice"' not in step
    assert re.search(r'data-testid="step-deal-value"', step) and f'value="9{NNBSP}000"' in step
    # when they give the amount the deal was signed for
    response = browser.post(
        f"{_page(lead)}move/", {"to": "customer", "deal_value": "12 500", "step": "1", "next": _page(lead)}
    )
    # then the lead is a customer with that amount, and the move's entry says so
    assert response["Location"] == _page(lead)
    fresh = _fresh(lead)
    assert (fresh.stage, fresh.deal_value) == (Stage.CUSTOMER, Decimal(12500))
    entry = fresh.transitions.order_by("pk").last()
    assert (entry.kind, entry.to_stage, entry.changes) == (
        Kind.MOVED,
        "customer",
        {"deal_value": ["9000.00", "12500.00"]},
    )


def test_a_customer_without_an_amount_shows_as_amount_missing_and_the_pipeline_counts_it(in_alpha, sales):
    lead = LeadFactory(email="ann@example.test", stage=Stage.SQL)
    LeadFactory(email="paid@example.test", stage=Stage.CUSTOMER, deal_value=Decimal(2000))
    browser = sales()
    # when the step is left empty
    browser.post(f"{_page(lead)}move/", {"to": "customer", "deal_value": "", "step": "1"})
    # then the lead is a customer with no amount, and its page says so
    assert (_fresh(lead).stage, _fresh(lead).deal_value) == (Stage.CUSTOMER, None)
    html = browser.get(_page(lead)).content.decode()
    assert 'data-testid="amount-missing">Montant manquant<' in html
    # and the pipeline counts it among its customers, apart
    board = browser.get(BOARD)
    assert board.context["totals"].customers_without_value == 1
    board_html = board.content.decode()
    assert re.search(r'data-testid="won-missing"[^>]*>1 montant manquant<', board_html)
    assert 'data-testid="card-amount-missing"' in board_html
    # and filling it in on the lead page clears it
    browser.post(f"{_page(lead)}edit/", _edit(_fresh(lead), deal_value="3 000"))
    assert browser.get(BOARD).context["totals"].customers_without_value == 0


# --- moving back ---------------------------------------------------------------------------------------


def _customer(email: str) -> Lead:
    lead = LeadFactory(email=email, created_at=days_ago(20), stage=Stage.LEAD)
    lead_move_stage(lead=lead, to=Stage.MQL, at=days_ago(15))
    return lead_move_stage(lead=lead, to=Stage.CUSTOMER, at=days_ago(2), deal_value=Decimal(1000))


def test_a_move_back_from_the_board_asks_whether_it_is_a_correction_or_a_regression(in_alpha, sales):
    lead = _customer("ann@example.test")
    browser = sales("en")
    # when the sales person presses the card's "←" button on the board
    response = browser.post(f"{_page(lead)}move/", {"to": "sql", "next": BOARD + "?mine=false"})
    # then nothing moves yet: the lead page's step asks, and will go back to the board
    assert response.status_code == 302
    assert response["Location"] == f"{_page(lead)}?move=sql&next=%2Fc%2Falpha%2Fleads%2F%3Fmine%3Dfalse"
    assert _fresh(lead).stage == Stage.CUSTOMER
    step = browser.get(response["Location"]).content.decode()
    assert 'data-testid="kind-choice"' in step and 'data-testid="step-deal-value"' not in step
    assert "it never really reached Customer" in step  # the stage a correction would void
    assert 'name="next" value="/c/alpha/leads/?mine=false"' in step
    # when the step is sent without an answer, it asks again, saying why
    again = browser.post(f"{_page(lead)}move/", {"to": "sql", "step": "1", "next": BOARD}, follow=True)
    assert any("say whether it is a correction" in m for m in _messages(again))
    assert _fresh(lead).stage == Stage.CUSTOMER
    # when they answer "a correction"
    done = browser.post(f"{_page(lead)}move/", {"to": "sql", "kind": "correction", "step": "1", "next": BOARD})
    # then the lead is an SQL that never was a customer, and they are back on the board
    assert done["Location"] == BOARD
    fresh = _fresh(lead)
    assert (fresh.stage, fresh.customer_at, fresh.sql_at is not None) == (Stage.SQL, None, True)
    assert fresh.transitions.order_by("pk").last().kind == Kind.CORRECTED


def test_the_lead_page_corrects_or_regresses_and_its_history_tells_them_apart(in_alpha, world, sales):
    corrected, regressed = _customer("c@example.test"), _customer("r@example.test")
    browser = sales()
    html = browser.get(_page(corrected)).content.decode()
    assert 'href="?move=lead" data-testid="move-to-lead"' in html  # a move back opens the step
    browser.post(f"{_page(corrected)}move/", {"to": "lead", "kind": "correction", "reason": "mis-click", "step": "1"})
    browser.post(f"{_page(regressed)}move/", {"to": "lead", "kind": "regression", "step": "1"})
    c, r = _fresh(corrected), _fresh(regressed)
    assert (c.mql_at, c.sql_at, c.customer_at) == (None, None, None)
    assert None not in (r.mql_at, r.sql_at, r.customer_at)
    # the correction's entry names what it voided; the regression reads as a move back
    timeline = re.search(r'data-testid="history".*?</ol>', browser.get(_page(corrected)).content.decode(), re.S)
    assert "Étape corrigée" in timeline.group(0) and "mis-click" in timeline.group(0)
    assert f"Étapes annulées{NBSP}: MQL, SQL, Client" in timeline.group(0)
    timeline = re.search(r'data-testid="history".*?</ol>', browser.get(_page(regressed)).content.decode(), re.S)
    assert 'data-testid="history-regression"' in timeline.group(0)


def test_a_lost_lead_is_reopened_before_it_changes_stage_on_the_screens(in_alpha, sales):
    lead = lead_mark_lost(lead=LeadFactory(email="ann@example.test", stage=Stage.MQL), reason="budget")
    browser = sales()
    html = browser.get(_page(lead)).content.decode()
    assert 'data-testid="stage-locked"' in html and 'data-testid="stage-form"' not in html
    assert 'data-testid="stage-step"' not in browser.get(f"{_page(lead)}?move=sql").content.decode()
    response = browser.post(f"{_page(lead)}move/", {"to": "sql"}, follow=True)
    assert any(
        m == f"Action non effectuée{NBSP}: Ce lead est perdu{NBSP}: rouvrez-le avant de changer son étape."
        for m in _messages(response)
    )
    assert _fresh(lead).stage == Stage.MQL
    browser.post(f"{_page(lead)}reopen/", {})
    browser.post(f"{_page(lead)}move/", {"to": "sql"})
    assert _fresh(lead).stage == Stage.SQL


# --- pipeline totals -----------------------------------------------------------------------------------


def test_the_pipeline_counts_as_open_only_the_leads_before_customer_in_the_clients_money(in_alpha, sales):
    # given open leads, customers (one without its amount) and a lost lead
    LeadFactory(stage=Stage.LEAD, deal_value=Decimal("400000"))
    LeadFactory(stage=Stage.MQL, deal_value=Decimal("39761.49"))
    LeadFactory(stage=Stage.SQL)
    LeadFactory(stage=Stage.CUSTOMER, deal_value=Decimal(15000))
    LeadFactory(stage=Stage.CUSTOMER)
    lead_mark_lost(lead=LeadFactory(stage=Stage.SQL, deal_value=Decimal(99999)), reason="budget")
    # when the board is opened in French
    board = sales().get(BOARD)
    totals = board.context["totals"]
    # then "open" is the three leads before customer, lost excluded; customers are counted apart
    assert (totals.open_count, totals.open_value) == (3, Decimal("439761.49"))
    assert (totals.customer_count, totals.customer_value, totals.customers_without_value) == (2, Decimal(15000), 1)
    html = board.content.decode()
    assert f'data-testid="open-value">439{NNBSP}761{NBSP}€<' in html
    assert f'data-testid="won-value">15{NNBSP}000{NBSP}€<' in html
    assert "EUR" not in html
    mql = re.search(r'data-stage="mql".*?</section>', html, re.S).group(0)
    assert f'data-testid="column-total">39{NNBSP}761{NBSP}€<' in mql
    # and in English, the English way
    english = sales("en").get(BOARD).content.decode()
    assert 'data-testid="open-value">€439,761<' in english and "3 open leads" in english


# --- query counts ----------------------------------------------------------------------------------------


def test_the_lead_page_runs_a_fixed_number_of_queries(in_alpha, world, sales, django_assert_num_queries):
    browser = sales()
    short = _customer("short@example.test")
    long = _customer("long@example.test")
    for _ in range(10):
        LeadNoteFactory(lead=long, body="again", by=world.manager_alpha)
        StageMoveFactory(lead=long.pk, to=Stage.SQL, kind="correction", by=world.sales_alpha)
        StageMoveFactory(lead=long.pk, to=Stage.CUSTOMER, deal_value=Decimal(5), by=world.manager_alpha)
    browser.post(f"{_page(long)}edit/", _edit(long, first_name="Long"))
    for lead in (short, long):
        for path in (_page(lead), f"{_page(lead)}?move=customer", f"{_page(lead)}?move=lead"):
            browser.get(path)  # warm up: the language cookie, the session
            # django-tenants' two search paths; routing, session, user and access; the lead, its history, its
            # notes, the owners offered: whatever the history's length, with or without the stage step
            with django_assert_num_queries(10, exact=True):
                assert browser.get(path).status_code == 200
    # and a refused edit, shown again with its errors, runs the same page's queries and one more (the lead the
    # form compares with)
    with django_assert_num_queries(11, exact=True):
        assert browser.post(f"{_page(long)}edit/", _edit(long, email="nope")).status_code == 200
