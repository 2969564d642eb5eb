from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django_tenants.utils import tenant_context

from campaigns.models import Offer
from campaigns.tests.factories import CampaignFactory, OfferFactory, builtin_channel
from config.errors import DomainError
from leads.models import Lead, LeadActivity, ScoringRule, Stage, StageTransition
from leads.services import (
    LeadInput,
    email_is_erased,
    lead_add_note,
    lead_assign,
    lead_bulk_move,
    lead_erase,
    lead_mark_lost,
    lead_move_stage,
    lead_record_activity,
    lead_reopen,
    lead_settings_update,
    lead_update,
    lead_upsert,
)
from leads.tests.factories import LeadFactory, ScoringRuleFactory, days_ago

Kind = StageTransition.Kind
Field, Operator = ScoringRule.Field, ScoringRule.Operator


def test_a_new_lead_is_normalised_attributed_and_recorded(in_alpha):
    lead, created = lead_upsert(record=LeadInput(email="  Ada@Example.COM ", utm_source="google", utm_medium="cpc"))
    assert created and lead.email == "ada@example.com"
    assert lead.channel.key == "paid_search"
    assert list(lead.transitions.values_list("kind", "to_stage")) == [(Kind.CREATED, Stage.LEAD)]


def test_channel_precedence_explicit_then_utm_then_campaign_then_direct(in_alpha):
    campaign = CampaignFactory(key="li-ads", channel=builtin_channel("paid_social"))
    assert LeadFactory(email="a@x.io", channel=builtin_channel("email"), campaign=campaign).channel.key == "email"
    assert LeadFactory(email="b@x.io", utm_source="google", utm_medium="organic", campaign=campaign).channel.key == (
        "organic_search"
    )
    assert LeadFactory(email="c@x.io", campaign=campaign).channel.key == "paid_social"
    assert LeadFactory(email="d@x.io").channel.key == "direct"


def test_a_utm_campaign_code_finds_its_campaign(in_alpha):
    campaign = CampaignFactory(key="spring", utm_campaign="SPRING-26")
    lead = LeadFactory(email="a@x.io", utm_source="newsletter", utm_medium="email", utm_campaign="spring-26")
    assert lead.campaign == campaign


def test_empty_reached_dates_are_completed_as_the_import_spec_says(in_alpha):
    created = days_ago(20)
    sql_at = days_ago(10)
    lead = LeadFactory(email="a@x.io", created_at=created, stage=Stage.SQL, sql_at=sql_at)
    assert (lead.mql_at, lead.sql_at, lead.customer_at) == (sql_at, sql_at, None)
    customer = LeadFactory(email="b@x.io", created_at=created, stage=Stage.CUSTOMER)
    assert customer.mql_at == customer.sql_at == customer.customer_at == created


def test_a_reached_date_before_creation_is_refused(in_alpha):
    with pytest.raises(DomainError) as error:
        LeadFactory(email="a@x.io", created_at=days_ago(5), stage=Stage.MQL, mql_at=days_ago(6))
    assert error.value.field == "mql_at"
    assert not Lead.objects.exists()


def test_a_duplicate_merges_whatever_the_order(in_alpha):
    webinar = OfferFactory(key="webinar", kind=Offer.Kind.WEBINAR)
    ebook = OfferFactory(key="ebook", kind=Offer.Kind.EBOOK)
    first = {
        "created_at": days_ago(30),
        "offer": webinar,
        "utm_source": "google",
        "utm_medium": "cpc",
        "first_name": "Old",
    }
    second = {
        "created_at": days_ago(10),
        "offer": ebook,
        "stage": Stage.MQL,
        "mql_at": days_ago(9),
        "first_name": "New",
        "company": "ACME",
    }
    results = []
    for order in ((first, second), (second, first)):
        Lead.objects.all().delete()
        LeadFactory(email="dup@x.io", **order[0])
        lead = LeadFactory(email="DUP@x.io ", **order[1])
        results.append(lead)
        assert Lead.objects.count() == 1
    for lead in results:
        # first touch keeps the attribution; reached dates are the earliest; stage the furthest
        assert (lead.offer.key, lead.channel.key, lead.utm_source) == ("webinar", "paid_search", "google")
        assert lead.created_at == first["created_at"]
        assert lead.mql_at == second["mql_at"]
        assert lead.stage == Stage.MQL
        assert lead.company == "ACME"
    # contact fields take the incoming value: the last one to arrive
    assert results[0].first_name == "New" and results[1].first_name == "Old"


def test_moves_skip_and_go_back_without_losing_reached_dates(in_alpha):
    lead = LeadFactory(created_at=days_ago(10))
    t_sql, t_back, t_customer = days_ago(8), days_ago(6), days_ago(2)
    lead = lead_move_stage(lead=lead, to=Stage.SQL, at=t_sql, reason="call booked")
    assert (lead.stage, lead.mql_at, lead.sql_at) == (Stage.SQL, t_sql, t_sql)
    lead = lead_move_stage(lead=lead, to=Stage.MQL, at=t_back, reason="not ready", kind="regression")
    assert (lead.stage, lead.mql_at, lead.sql_at) == (Stage.MQL, t_sql, t_sql)
    lead = lead_move_stage(lead=lead, to=Stage.CUSTOMER, at=t_customer)
    assert (lead.mql_at, lead.sql_at, lead.customer_at) == (t_sql, t_sql, t_customer)
    moves = list(lead.transitions.filter(kind=Kind.MOVED).values_list("from_stage", "to_stage", "reason"))
    assert moves == [("lead", "sql", "call booked"), ("sql", "mql", "not ready"), ("mql", "customer", "")]


def test_a_move_before_creation_or_in_the_future_is_refused(in_alpha):
    lead = LeadFactory(created_at=days_ago(3))
    with pytest.raises(DomainError) as before:
        lead_move_stage(lead=lead, to=Stage.MQL, at=days_ago(4))
    with pytest.raises(DomainError):
        lead_move_stage(lead=lead, to=Stage.MQL, at=days_ago(-2))
    assert before.value.field == "at"
    lead.refresh_from_db()
    assert (lead.stage, lead.mql_at, lead.transitions.count()) == (Stage.LEAD, None, 1)


def test_moving_to_the_current_stage_records_nothing(in_alpha):
    lead = LeadFactory()
    lead_move_stage(lead=lead, to=Stage.LEAD)
    assert lead.transitions.count() == 1


def test_bulk_move_is_all_or_nothing(in_alpha):
    old = LeadFactory(email="old@x.io", created_at=days_ago(10))
    young = LeadFactory(email="young@x.io", created_at=days_ago(1))
    with pytest.raises(DomainError):
        lead_bulk_move(lead_ids=[old.pk, young.pk], to=Stage.MQL, at=days_ago(5))
    assert not Lead.objects.filter(stage=Stage.MQL).exists()
    moved = lead_bulk_move(lead_ids=[old.pk, young.pk], to=Stage.MQL)
    assert {lead.stage for lead in moved} == {Stage.MQL}
    with pytest.raises(DomainError):
        lead_bulk_move(lead_ids=[old.pk, 999_999], to=Stage.SQL)


def test_lost_and_reopened_leads_keep_their_reached_dates(in_alpha):
    lead = LeadFactory(stage=Stage.MQL)
    mql_at = lead.mql_at
    lead = lead_mark_lost(lead=lead, reason="budget")
    assert lead.is_lost and lead.lost_reason == "budget" and lead.mql_at == mql_at
    with pytest.raises(DomainError):
        lead_mark_lost(lead=lead, reason="again")
    lead = lead_reopen(lead=lead, reason="came back")
    assert not lead.is_lost and lead.mql_at == mql_at
    kinds = list(lead.transitions.values_list("kind", flat=True))
    assert kinds == [Kind.CREATED, Kind.LOST, Kind.REOPENED]


def test_only_people_of_the_client_may_own_its_leads(world, in_alpha):
    lead = LeadFactory()
    lead = lead_assign(lead=lead, owner=world.sales_alpha, by=world.manager_alpha)
    assert lead.owner == world.sales_alpha
    for outsider in (world.viewer_alpha, world.viewer_beta, world.outsider):
        with pytest.raises(DomainError):
            lead_assign(lead=lead, owner=outsider)
    assert lead.transitions.filter(kind=Kind.ASSIGNED).count() == 1


def test_the_history_is_append_only_in_the_database(in_alpha):
    entry = LeadFactory().transitions.get()
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        StageTransition.objects.filter(pk=entry.pk).update(reason="rewritten")


def test_lead_update_changes_contact_fields_but_not_stages(in_alpha):
    lead = LeadFactory()
    lead = lead_update(lead=lead, changes={"company": "ACME", "deal_value": Decimal("1200.50")})
    assert (lead.company, lead.deal_value) == ("ACME", Decimal("1200.50"))
    with pytest.raises(DomainError):
        lead_update(lead=lead, changes={"stage": Stage.CUSTOMER})
    LeadFactory(email="other@x.io")
    with pytest.raises(DomainError):
        lead_update(lead=lead, changes={"email": "OTHER@x.io"})


def test_scoring_moves_a_lead_to_mql_once_when_it_reaches_the_threshold(in_alpha):
    ScoringRuleFactory(field=Field.COMPANY_SIZE, operator=Operator.AT_LEAST, value="200", points=30)
    ScoringRuleFactory(field=Field.JOB_TITLE, operator=Operator.CONTAINS, value="director", points=20)
    ScoringRuleFactory(field=Field.ACTIVITY, value=LeadActivity.Kind.FORM_SUBMIT, points=10, max_points=20)
    lead_settings_update(mql_threshold=60, block_erased_emails=True)
    lead = LeadFactory(company_size=500, job_title="Marketing Director")
    assert (lead.score, lead.stage) == (50, Stage.LEAD)
    for _ in range(3):
        lead_record_activity(lead=lead, kind=LeadActivity.Kind.FORM_SUBMIT, ref="contact")
    lead.refresh_from_db()
    assert (lead.score, lead.stage) == (70, Stage.MQL)
    scoring_moves = lead.transitions.filter(kind=Kind.MOVED, source="scoring")
    assert scoring_moves.count() == 1
    # once: after a sales rep sends it back, scoring does not promote it again
    lead_move_stage(lead=lead, to=Stage.LEAD, reason="not a fit", kind="regression")
    lead_record_activity(lead=lead, kind=LeadActivity.Kind.FORM_SUBMIT)
    lead.refresh_from_db()
    assert lead.stage == Stage.LEAD and scoring_moves.count() == 1


def test_raising_the_threshold_rescores_without_demoting(in_alpha):
    ScoringRuleFactory(field=Field.JOB_TITLE, operator=Operator.CONTAINS, value="director", points=50)
    lead = LeadFactory(job_title="Director")
    lead_settings_update(mql_threshold=40, block_erased_emails=True)
    lead.refresh_from_db()
    assert lead.stage == Stage.MQL


def test_erasure_removes_everything_and_can_block_recapture(in_alpha):
    lead = LeadFactory(email="gone@x.io")
    lead_add_note(lead=lead, body="Called twice")
    lead_record_activity(lead=lead, kind=LeadActivity.Kind.CTA_CLICK)
    lead_erase(lead=lead, block_recapture=True)
    assert not Lead.objects.exists()
    assert not StageTransition.objects.exists()
    assert email_is_erased(" GONE@x.io")
    kept = LeadFactory(email="kept@x.io")
    lead_erase(lead=kept, block_recapture=False)
    assert not email_is_erased("kept@x.io")


def test_the_same_email_in_two_clients_is_two_leads(world, in_alpha):
    LeadFactory(email="shared@x.io", first_name="Alpha")
    with tenant_context(world.beta):
        lead = LeadFactory(email="shared@x.io", first_name="Beta")
        assert Lead.objects.count() == 1 and lead.first_name == "Beta"
    assert Lead.objects.get().first_name == "Alpha"


def test_the_database_refuses_a_second_lead_with_the_same_email_in_other_case(in_alpha):
    LeadFactory(email="ada@example.com")
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.create(email="ada@example.com ", created_at=days_ago(1))
    # and a lead created straight in the database cannot skip the normalisation either
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.create(email="Grace@Example.com", created_at=days_ago(1))


def test_a_stage_instant_cannot_precede_creation_even_in_sql(in_alpha):
    lead = LeadFactory(created_at=days_ago(2))
    with pytest.raises(IntegrityError), transaction.atomic():
        Lead.objects.filter(pk=lead.pk).update(mql_at=lead.created_at - timedelta(seconds=1))


def test_a_lead_erased_meanwhile_is_a_not_found_domain_error(in_alpha):
    lead = LeadFactory()
    lead_erase(lead=lead, block_recapture=False)
    with pytest.raises(DomainError) as error:
        lead_move_stage(lead=lead, to=Stage.MQL)
    assert error.value.code == "not_found"
