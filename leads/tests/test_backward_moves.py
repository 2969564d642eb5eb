"""Moves back are explicit, and a lost lead keeps its stage until it is re-opened (docs/kpis.md §3).

A move to an earlier stage says what it is: a *correction* (the later stages were never really reached:
their reached dates are voided, the history keeps the entries that recorded them and adds the
correction) or a *regression* (the lead reached them and went back: the dates stay). The rule lives in
``leads.services.lead_move_stage``; the API (``move/``, ``bulk-move/``), the client admin's actions and
the sales screens all go through it. The expected words are written out here, so a missing translation
fails."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone, translation

from campaigns.imports.runner import import_check
from campaigns.tests.import_words import line_error_in
from config.errors import DomainError
from leads.models import Lead, MoveKind, Stage, StageTransition
from leads.serializers import BulkMoveInputSerializer
from leads.services import (
    LeadInput,
    lead_bulk_move,
    lead_capture,
    lead_mark_lost,
    lead_move_stage,
    lead_reopen,
    lead_settings_update,
)
from leads.tests.factories import LeadFactory, ScoringRuleFactory, days_ago
from tenants.models import User

API = "/c/alpha/api/v1"
ADMIN = "/c/alpha/admin/leads/lead/"
NBSP = "\u00a0"
Kind = StageTransition.Kind

KIND_REQUIRED = {
    "fr": (
        f"Retour à une étape antérieure{NBSP}: précisez s'il s'agit d'une correction (les étapes suivantes "
        "n'ont jamais vraiment été atteintes) ou d'une régression (le lead les a atteintes puis est revenu "
        "en arrière)."
    ),
    "en": (
        "Moving a lead back to an earlier stage: say whether it is a correction (the later stages were never "
        "really reached) or a regression (it reached them and went back)."
    ),
}
LOST_REFUSED = {
    "fr": f"Ce lead est perdu{NBSP}: rouvrez-le avant de changer son étape.",
    "en": "This lead is lost: re-open it before changing its stage.",
}


def _customer(**values) -> Lead:
    """A lead that went lead → MQL → SQL → customer on three distinct days, the last one 2 days ago."""
    lead = LeadFactory(created_at=days_ago(20), **values)
    lead_move_stage(lead=lead, to=Stage.MQL, at=days_ago(15))
    lead_move_stage(lead=lead, to=Stage.SQL, at=days_ago(10))
    return lead_move_stage(lead=lead, to=Stage.CUSTOMER, at=days_ago(2))


def _entries(lead: Lead) -> list[tuple]:
    return list(lead.transitions.order_by("pk").values_list("kind", "from_stage", "to_stage"))


@pytest.fixture
def speaking(http_as, world):
    """``speaking(language)``: alpha's sales person, logged in, reading ``language``."""

    def make(language: str):
        User.objects.filter(pk=world.sales_alpha.pk).update(language=language)
        return http_as(User.objects.get(pk=world.sales_alpha.pk))

    return make


def post_json(http, path: str, data: dict):
    return http.post(path, data, content_type="application/json")


# --- the service -------------------------------------------------------------------------------------


def test_a_correction_voids_the_reach_of_the_later_stages_and_keeps_their_history(in_alpha, world):
    # given a customer who went through every stage
    lead = _customer()
    mql_at, sql_at, customer_at = lead.mql_at, lead.sql_at, lead.customer_at
    # when the sales person corrects it back to lead: none of that really happened
    lead = lead_move_stage(lead=lead, to=Stage.LEAD, kind=MoveKind.CORRECTION, reason="mis-click", by=world.sales_alpha)
    # then it is a lead that never reached MQL, SQL nor customer
    fresh = Lead.objects.get(pk=lead.pk)
    assert (fresh.stage, fresh.mql_at, fresh.sql_at, fresh.customer_at) == (Stage.LEAD, None, None, None)
    # and the history keeps the three moves and adds the correction, naming the dates it voided
    assert _entries(fresh) == [
        (Kind.CREATED, "", "lead"),
        (Kind.MOVED, "lead", "mql"),
        (Kind.MOVED, "mql", "sql"),
        (Kind.MOVED, "sql", "customer"),
        (Kind.CORRECTED, "customer", "lead"),
    ]
    correction = fresh.transitions.get(kind=Kind.CORRECTED)
    assert correction.changes == {
        "mql_at": [mql_at.isoformat(), None],
        "sql_at": [sql_at.isoformat(), None],
        "customer_at": [customer_at.isoformat(), None],
    }
    assert (correction.reason, correction.by_id) == ("mis-click", world.sales_alpha.pk)
    # and moving it forward again reaches the stages anew, at the new instant
    yesterday = days_ago(1)
    again = lead_move_stage(lead=lead, to=Stage.MQL, at=yesterday)
    assert (again.mql_at, again.sql_at) == (yesterday, None)


def test_a_correction_voids_only_the_stages_above_its_target(in_alpha):
    lead = _customer()
    mql_at = lead.mql_at
    lead = lead_move_stage(lead=lead, to=Stage.MQL, kind=MoveKind.CORRECTION)
    assert (lead.stage, lead.mql_at, lead.sql_at, lead.customer_at) == (Stage.MQL, mql_at, None, None)


def test_a_regression_keeps_every_reach(in_alpha):
    lead = _customer()
    reached = (lead.mql_at, lead.sql_at, lead.customer_at)
    lead = lead_move_stage(lead=lead, to=Stage.SQL, kind=MoveKind.REGRESSION, reason="contract cancelled")
    assert lead.stage == Stage.SQL
    assert (lead.mql_at, lead.sql_at, lead.customer_at) == reached
    last = lead.transitions.order_by("pk").last()
    assert (last.kind, last.from_stage, last.to_stage, last.changes) == (Kind.MOVED, "customer", "sql", {})
    assert last.is_move_back


def test_a_move_back_without_a_kind_is_refused_and_a_forward_move_ignores_it(in_alpha):
    lead = _customer()
    with pytest.raises(DomainError) as refused:
        lead_move_stage(lead=lead, to=Stage.MQL)
    assert refused.value.field == "kind"
    with pytest.raises(DomainError) as unknown:
        lead_move_stage(lead=lead, to=Stage.MQL, kind="oops")
    assert unknown.value.field == "kind"
    assert Lead.objects.get(pk=lead.pk).stage == Stage.CUSTOMER
    # a forward move has no kind to say: one given is ignored
    young = LeadFactory()
    young = lead_move_stage(lead=young, to=Stage.SQL, kind=MoveKind.CORRECTION)
    assert (young.stage, young.transitions.order_by("pk").last().kind) == (Stage.SQL, Kind.MOVED)
    assert young.mql_at is not None and young.sql_at is not None


def test_a_bulk_move_back_needs_the_kind_too_and_names_the_lead_it_refuses(in_alpha):
    sql = LeadFactory(stage=Stage.SQL)
    fresh = LeadFactory(stage=Stage.LEAD)
    with pytest.raises(DomainError) as refused:
        lead_bulk_move(lead_ids=[sql.pk, fresh.pk], to=Stage.MQL)
    assert refused.value.field == "kind" and str(sql.pk) in refused.value.message
    # all or nothing: the lead it could move has not moved
    assert Lead.objects.get(pk=fresh.pk).stage == Stage.LEAD
    moved = lead_bulk_move(lead_ids=[sql.pk, fresh.pk], to=Stage.MQL, kind=MoveKind.CORRECTION)
    assert {(lead.stage, lead.sql_at) for lead in moved} == {(Stage.MQL, None)}


# --- a lost lead -------------------------------------------------------------------------------------


def test_a_lost_lead_changes_stage_only_after_it_is_reopened(in_alpha):
    lead = lead_mark_lost(lead=LeadFactory(stage=Stage.MQL), reason="budget")
    for to, kind in ((Stage.SQL, None), (Stage.LEAD, MoveKind.CORRECTION), (Stage.CUSTOMER, None)):
        with pytest.raises(DomainError) as refused:
            lead_move_stage(lead=lead, to=to, kind=kind)
        assert refused.value.field == "to"
    with pytest.raises(DomainError) as bulk:
        lead_bulk_move(lead_ids=[lead.pk], to=Stage.SQL)
    assert bulk.value.field == "to" and str(lead.pk) in bulk.value.message
    assert Lead.objects.get(pk=lead.pk).stage == Stage.MQL
    # once re-opened, it moves
    lead_reopen(lead=lead)
    assert lead_move_stage(lead=lead, to=Stage.SQL).stage == Stage.SQL


def test_a_record_merged_into_a_lost_lead_may_not_move_it_further(in_alpha):
    lead = lead_mark_lost(lead=LeadFactory(email="ada@x.io", stage=Stage.MQL), reason="budget")
    with pytest.raises(DomainError) as refused:
        LeadFactory(email="ada@x.io", stage=Stage.SQL)
    assert refused.value.field == "stage"
    # a record at the same stage or before it merges as usual
    merged = LeadFactory(email="ada@x.io", stage=Stage.LEAD, company="Analytical")
    assert (merged.pk, merged.stage, merged.company, merged.is_lost) == (lead.pk, Stage.MQL, "Analytical", True)


def test_scoring_does_not_promote_a_lost_lead(in_alpha):
    # given a lost lead whose next form submission reaches the MQL threshold
    ScoringRuleFactory(points=10)
    lead_settings_update(mql_threshold=10, block_erased_emails=True)
    lead = lead_mark_lost(lead=LeadFactory(email="ada@x.io"), reason="budget")
    # when it submits a form
    captured = lead_capture(record=LeadInput(email="ada@x.io"), form_key="contact")
    # then it is captured, scored, and still a lost lead at its stage
    assert (captured.pk, captured.score, captured.stage, captured.is_lost) == (lead.pk, 10, Stage.LEAD, True)


# --- the API -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_api_refuses_a_move_back_without_a_kind_with_a_field_error(in_alpha, speaking, language):
    http = speaking(language)
    lead = _customer()
    for path, body in (
        (f"leads/{lead.pk}/move/", {"to": "mql"}),
        ("leads/bulk-move/", {"lead_ids": [lead.pk], "to": "mql"}),
    ):
        response = post_json(http, f"{API}/{path}", body)
        assert response.status_code == 400, response.content
        assert list(response.json()) == ["kind"]
        assert response.json()["kind"][0].endswith(KIND_REQUIRED[language])
    # a kind that is not one is the serializer's field error
    assert "kind" in post_json(http, f"{API}/leads/{lead.pk}/move/", {"to": "mql", "kind": "undo"}).json()
    assert Lead.objects.get(pk=lead.pk).stage == Stage.CUSTOMER


def test_the_api_corrects_and_regresses_and_the_history_shows_it(in_alpha, speaking):
    http = speaking("en")
    corrected, regressed = _customer(email="c@x.io"), _customer(email="r@x.io")
    answer = post_json(http, f"{API}/leads/{corrected.pk}/move/", {"to": "mql", "kind": "correction"})
    assert answer.status_code == 200, answer.content
    assert (answer.json()["stage"], answer.json()["sql_at"], answer.json()["customer_at"]) == ("mql", None, None)
    assert answer.json()["mql_at"] is not None
    answer = post_json(http, f"{API}/leads/{regressed.pk}/move/", {"to": "mql", "kind": "regression"})
    assert answer.status_code == 200
    assert answer.json()["stage"] == "mql" and answer.json()["customer_at"] is not None
    history = http.get(f"{API}/leads/{corrected.pk}/history/").json()
    assert [(e["kind"], e["from_stage"], e["to_stage"]) for e in history][-2:] == [
        ("moved", "sql", "customer"),
        ("corrected", "customer", "mql"),
    ]
    assert sorted(history[-1]["changes"]) == ["customer_at", "sql_at"]
    assert history[-1]["by"] == "sales@alpha.test"
    # bulk: the kind applies to each lead it moves back: the regressed MQL, which still counted its reach of
    # customer, is corrected back to lead; a lead already there does not move
    other = LeadFactory(stage=Stage.LEAD)
    bulk = post_json(
        http, f"{API}/leads/bulk-move/", {"lead_ids": [regressed.pk, other.pk], "to": "lead", "kind": "correction"}
    )
    assert bulk.status_code == 200, bulk.content
    assert [(row["stage"], row["mql_at"], row["customer_at"]) for row in bulk.json()] == [
        ("lead", None, None),
        ("lead", None, None),
    ]


def test_the_api_moves_to_customer_with_or_without_a_deal_value(in_alpha, speaking):
    http = speaking("en")
    with_value, without = LeadFactory(stage=Stage.SQL), LeadFactory(stage=Stage.SQL)
    answer = post_json(http, f"{API}/leads/{with_value.pk}/move/", {"to": "customer", "deal_value": "4800.50"})
    assert answer.status_code == 200 and answer.json()["deal_value"] == "4800.50"
    entry = with_value.transitions.order_by("pk").last()
    assert (entry.kind, entry.changes) == (Kind.MOVED, {"deal_value": [None, "4800.50"]})
    answer = post_json(http, f"{API}/leads/{without.pk}/move/", {"to": "customer"})
    assert answer.status_code == 200 and answer.json()["deal_value"] is None
    # the amount given later, with the lead already a customer, is an edit of it
    answer = post_json(http, f"{API}/leads/{without.pk}/move/", {"to": "customer", "deal_value": "750"})
    assert answer.status_code == 200 and answer.json()["deal_value"] == "750.00"
    entry = without.transitions.order_by("pk").last()
    assert (entry.kind, entry.changes) == (Kind.EDITED, {"deal_value": [None, "750.00"]})
    # a deal value belongs to a move to customer only, and is never negative
    other = LeadFactory()
    refused = post_json(http, f"{API}/leads/{other.pk}/move/", {"to": "mql", "deal_value": "10"})
    assert refused.status_code == 400 and refused.json() == {
        "deal_value": ["Only a move to customer takes a deal value."]
    }
    negative = post_json(http, f"{API}/leads/{other.pk}/move/", {"to": "customer", "deal_value": "-1"})
    assert negative.status_code == 400 and "deal_value" in negative.json()
    assert Lead.objects.get(pk=other.pk).stage == Stage.LEAD
    # bulk moves take no deal value (one amount for many deals means nothing)
    assert "deal_value" not in BulkMoveInputSerializer().fields


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_api_refuses_to_move_a_lost_lead_in_the_same_words(in_alpha, speaking, language):
    http = speaking(language)
    lead = lead_mark_lost(lead=LeadFactory(email="ada@x.io", stage=Stage.MQL), reason="budget")
    moved = post_json(http, f"{API}/leads/{lead.pk}/move/", {"to": "sql"})
    assert moved.status_code == 400 and moved.json() == {"to": [LOST_REFUSED[language]]}
    merged = post_json(http, f"{API}/leads/", {"email": "ada@x.io", "stage": "customer"})
    assert merged.status_code == 400 and merged.json() == {"stage": [LOST_REFUSED[language]]}
    assert post_json(http, f"{API}/leads/{lead.pk}/reopen/", {}).status_code == 200
    assert post_json(http, f"{API}/leads/{lead.pk}/move/", {"to": "sql"}).json()["stage"] == "sql"


# --- imports and the client admin --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["fr", "en"])
def test_an_import_row_may_not_move_a_lost_lead(in_alpha, language):
    lead_mark_lost(lead=LeadFactory(email="ada@x.io", stage=Stage.MQL), reason="budget")
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    body = f"email,created_at,stage\nada@x.io,{yesterday}T10:00,customer\nbob@x.io,{yesterday}T10:00,sql\n"
    with translation.override(language):
        checked = import_check(kind="leads", data=body.encode())
    assert checked.errors == [line_error_in(language, 2, "stage", LOST_REFUSED[language])]
    # a row that leaves its stage as it is (or before it) is fine
    same = f"email,created_at,stage,company\nada@x.io,{yesterday}T10:00,mql,Analytical\n"
    assert import_check(kind="leads", data=same.encode()).valid


def test_the_admins_move_actions_say_the_kind_and_refuse_lost_leads(in_alpha, http_as, world):
    User.objects.filter(pk=world.manager_alpha.pk).update(language="en")
    admin = http_as(User.objects.get(pk=world.manager_alpha.pk))
    corrected, regressed, plain = _customer(email="c@x.io"), _customer(email="r@x.io"), _customer(email="p@x.io")
    lost = lead_mark_lost(lead=LeadFactory(email="lost@x.io", stage=Stage.MQL), reason="budget")
    admin.post(ADMIN, {"action": "correction_to_lead", "_selected_action": [corrected.pk]})
    admin.post(ADMIN, {"action": "regression_to_lead", "_selected_action": [regressed.pk]})
    response = admin.post(ADMIN, {"action": "move_to_lead", "_selected_action": [plain.pk, lost.pk]}, follow=True)
    fresh = {lead.email: lead for lead in Lead.objects.all()}
    assert (fresh["c@x.io"].stage, fresh["c@x.io"].mql_at) == (Stage.LEAD, None)
    assert (fresh["r@x.io"].stage, fresh["r@x.io"].mql_at) == (Stage.LEAD, regressed.mql_at)
    assert (fresh["p@x.io"].stage, fresh["lost@x.io"].stage) == (Stage.CUSTOMER, Stage.MQL)
    said = [str(m) for m in response.context["messages"]]
    assert f"p@x.io: {KIND_REQUIRED['en']}" in said and f"lost@x.io: {LOST_REFUSED['en']}" in said
