"""What one form submission costs the server, and that the cheaper path gives the same results: the
queries of a capture are counted (a regression shows as a changed count), the form read once per
process is rebuilt on any change, and the score is judged as ``lead_upsert`` then
``lead_record_activity`` judge it."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.models import Offer
from campaigns.tests.factories import CampaignFactory, LandingPageFactory, OfferFactory
from leads.models import CaptureForm, ChangeOrigin, Lead, LeadActivity, LeadSettings, ScoringRule, Stage
from leads.services import LeadInput, lead_record_activity, lead_upsert
from leads.tests.factories import SITE, CaptureFormFactory, ScoringRuleFactory


def _post(http, email: str, *, ip: str = "192.0.2.1", **fields):
    payload = {"email": email, "first_name": "Léa", "page_url": f"{SITE}/guide/", "website": "", **fields}
    return http.post(
        "/c/alpha/capture/contact/",
        payload,
        content_type="application/json",
        headers={"Origin": SITE, "Accept": "application/json"},
        REMOTE_ADDR=ip,
    )


def _form_with_defaults() -> Offer:
    """A form as the benchmark's: a default offer and landing page, one activity scoring rule (5 points a
    form submission)."""
    offer = OfferFactory(key="guide", kind=Offer.Kind.EBOOK)
    page = LandingPageFactory(key="lp-guide", url=f"{SITE}/guide/", offer=offer)
    CaptureFormFactory(allowed_origins=SITE, offer=offer, landing_page=page)
    ScoringRuleFactory(field=ScoringRule.Field.ACTIVITY, value=LeadActivity.Kind.FORM_SUBMIT, points=5)
    return offer


def test_a_capture_runs_a_fixed_number_of_queries(in_alpha, anonymous, monkeypatch):
    # given no purge of old rate windows on the way (one capture in PURGE_ONE_IN does one, at random)
    monkeypatch.setattr("leads.ratelimit.PURGE_ONE_IN", 2**62)
    # and a form, read once already by this process (a first submission)
    _form_with_defaults()
    assert _post(anonymous, "first@example.com").status_code == 201
    # when a new person submits, then submits again
    with CaptureQueriesContext(connection) as new:
        assert _post(anonymous, "jane@example.com", ip="192.0.2.2", utm_campaign="printemps").status_code == 201
    with CaptureQueriesContext(connection) as again:
        assert _post(anonymous, " JANE@example.com", ip="192.0.2.3", utm_campaign="printemps").status_code == 201
    # then the new lead took 19 statements: the client and its search path (3), the form's rows, the
    # rate counters, the landing page, the settings, the erasure check, the campaign by UTM code, the
    # channel, the lead and its history (2, in a savepoint: 2), the scoring rules, the activity, the
    # score; plus this test's savepoint around the transaction (2), which a server runs as BEGIN/COMMIT
    assert len(new.captured_queries) == 19, "\n".join(q["sql"][:120] for q in new.captured_queries)
    # and the merge 24: the insert rolled back to its savepoint (and the search path set again), the
    # lead locked and read, updated, its history, and its activity counts instead of none
    assert len(again.captured_queries) == 24, "\n".join(q["sql"][:120] for q in again.captured_queries)
    lead = Lead.objects.get(email="jane@example.com")
    assert (lead.score, lead.activities.count(), lead.transitions.count()) == (10, 2, 2)


def test_the_form_read_once_per_process_follows_every_change(in_alpha, anonymous):
    # given a form read by a first submission
    offer = _form_with_defaults()
    assert _post(anonymous, "a@example.com").status_code == 201
    # when its offer is renamed to another kind, then the form gets another offer and a campaign
    Offer.objects.filter(pk=offer.pk).update(kind="webinar")
    ScoringRuleFactory(field=ScoringRule.Field.OFFER_KIND, value="webinar", points=50)
    after_kind = _post(anonymous, "b@example.com", ip="192.0.2.2")
    demo = OfferFactory(key="demo", kind=Offer.Kind.DEMO)
    spring = CampaignFactory(key="spring")
    CaptureForm.objects.filter(key="contact").update(offer=demo, campaign=spring)
    after_offer = _post(anonymous, "c@example.com", ip="192.0.2.3")
    # and it stops listing the site, then is deactivated
    CaptureForm.objects.filter(key="contact").update(allowed_origins="https://elsewhere.example")
    after_origins = _post(anonymous, "d@example.com", ip="192.0.2.4")
    CaptureForm.objects.filter(key="contact").update(is_active=False)
    after_deactivation = _post(anonymous, "e@example.com", ip="192.0.2.5")
    # then each submission saw the form as it was at that moment
    assert [r.status_code for r in (after_kind, after_offer, after_origins, after_deactivation)] == [201, 201, 403, 404]
    leads = {lead.email: lead for lead in Lead.objects.select_related("offer", "campaign")}
    assert (leads["b@example.com"].offer.kind, leads["b@example.com"].score) == ("webinar", 55)
    assert (leads["c@example.com"].offer, leads["c@example.com"].campaign, leads["c@example.com"].score) == (
        demo,
        spring,
        5,
    )
    assert set(leads) == {"a@example.com", "b@example.com", "c@example.com"}


def _history(lead: Lead) -> tuple:
    lead.refresh_from_db()
    transitions = [(t.kind, t.from_stage, t.to_stage, t.source) for t in lead.transitions.order_by("pk")]
    activities = sorted(lead.activities.values_list("kind", "ref"))
    promoted = lead.scoring_promoted_at is not None
    return lead.score, lead.stage, lead.mql_at is not None, promoted, transitions, activities


@pytest.mark.parametrize(
    ("per_submission", "threshold", "stage", "score"),
    [
        (10, 20, Stage.MQL, 40),  # the offer alone reaches it: promoted before the activity is recorded
        (10, 30, Stage.MQL, 40),  # the offer and the first submission
        (10, 40, Stage.MQL, 40),  # only with the second submission
        (10, None, Stage.LEAD, 40),  # no threshold
        (-10, 20, Stage.MQL, 0),  # reached by the offer only until the first activity is recorded
    ],
)
def test_a_capture_scores_and_promotes_exactly_as_upsert_then_activity(
    in_alpha, anonymous, per_submission, threshold, stage, score
):
    # given an ebook offer worth 20 points, some points per form submission, and the MQL threshold
    offer = _form_with_defaults()
    ScoringRule.objects.all().delete()
    ScoringRuleFactory(field=ScoringRule.Field.OFFER_KIND, value="ebook", points=20)
    ScoringRuleFactory(field=ScoringRule.Field.ACTIVITY, value=LeadActivity.Kind.FORM_SUBMIT, points=per_submission)
    LeadSettings.objects.update_or_create(pk=1, defaults={"mql_threshold": threshold})
    # when one person submits the form twice, and another is recorded twice by the two services
    for ip in ("192.0.2.1", "192.0.2.2"):
        assert _post(anonymous, "cap@example.com", ip=ip, page_url="").status_code == 201
    for _ in range(2):
        lead, __ = lead_upsert(
            record=LeadInput(email="svc@example.com", first_name="Léa", offer=offer), source=ChangeOrigin.CAPTURE
        )
        lead_record_activity(lead=lead, kind=LeadActivity.Kind.FORM_SUBMIT, ref="contact")
    captured, served = Lead.objects.get(email="cap@example.com"), Lead.objects.get(email="svc@example.com")
    # then both have the same score, stage, promotion and history
    assert _history(captured) == _history(served)
    assert (captured.score, captured.stage) == (score, stage)
