"""One home per rule (issue 12), the CRM's side. Each rule lives once and every path calls it, so the same
bad value is refused by the API (over HTTP), the client admin (its form's ``clean()``) and the ``leads``
import in the same words, in French and in English, and nothing is written:

* who may own a client's leads (``leads.selectors.lead_owners``, ``leads.services.OWNER_REFUSED``);
* an incoming lead's own rules (``leads.services.lead_record_check``): created in the future, a stage
  reached or a loss dated before the creation;
* a lead's keyword, normalised alike (``campaigns.rules.keyword_normalised`` through ``lead_keyword``);
* scoring rules (``leads.services.scoring_rule_*``): refused alike, and a change of any kind, deletes
  included, rescores the leads whichever way it is made.

And which landing page a URL belongs to (``campaigns.landing_pages``): the tracking rollup and the
capture endpoint give the same answer for the same URL.

The expected words are written out here, not taken from the catalogue, so a missing translation fails.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.db.models import Sum
from django.utils import timezone, translation

from campaigns.imports.runner import import_check, import_write
from campaigns.models import FactSource, Traffic
from campaigns.tests.factories import LandingPageFactory
from campaigns.tests.import_words import line_error_in
from campaigns.tracking_rollup import tracking_rollup
from leads.models import Lead, ScoringRule, StageTransition
from leads.tests.factories import CaptureFormFactory, LeadFactory, ScoringRuleFactory
from tenants.models import User

API = "/c/alpha/api/v1"
ADMIN = "/c/alpha/admin/leads"
LANGUAGES = ["fr", "en"]
NBSP = "\u00a0"

OWNER_REFUSED = {
    "fr": "Cette personne ne peut pas être responsable des leads de ce client.",
    "en": "This person may not own this client's leads.",
}
IN_THE_FUTURE = {"fr": "Cette date est dans le futur.", "en": "This date is in the future."}
BEFORE_CREATION = {
    "fr": "Cette date est antérieure à la création du lead.",
    "en": "This date is before the lead was created.",
}
KINDS = "form_submit, cta_click, email_open, email_click, page_visit"
ACTIVITY_RULE = {
    "fr": f"Une règle d'activité compte l'un de ces types{NBSP}: {KINDS}.",
    "en": f"An activity rule counts one of: {KINDS}.",
}


@pytest.fixture
def speaking(http_as, world):
    """``speaking(language)``: alpha's manager, logged in, reading ``language`` (their own choice, which
    the pages and the API follow). Rolled back with the test."""

    def make(language: str):
        User.objects.filter(pk=world.manager_alpha.pk).update(language=language)
        return http_as(User.objects.get(pk=world.manager_alpha.pk))

    return make


def api_refusal(response, field: str) -> list[str]:
    assert response.status_code == 400, response.content
    return response.json()[field]


def admin_refusal(response, field: str) -> list[str]:
    """The form's errors on ``field`` after a post the admin refused (the page again, not a redirect)."""
    assert response.status_code == 200, response.status_code
    return list(response.context["adminform"].form.errors.get(field, []))


def import_refusals(body: str, language: str) -> list[str]:
    with translation.override(language):
        checked = import_check(kind="leads", data=body.encode())
    assert not checked.valid
    return checked.errors


def post_json(http, path: str, data: dict):
    return http.post(path, data, content_type="application/json")


# The admin's add page, as a person leaves it: every text empty, the lead created yesterday at 10:00.
YESTERDAY = (timezone.localdate() - timedelta(days=1)).isoformat()
ADMIN_ADD = {
    "email": "new@x.io",
    **dict.fromkeys(("first_name", "last_name", "company", "job_title", "phone", "keyword", "lost_reason"), ""),
    **dict.fromkeys(("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"), ""),
    "stage": "lead",
    "created_at_0": YESTERDAY,
    "created_at_1": "10:00:00",
    "transitions-TOTAL_FORMS": "0",
    "transitions-INITIAL_FORMS": "0",
    "notes-TOTAL_FORMS": "0",
    "notes-INITIAL_FORMS": "0",
}


# --- b. who may own a client's leads -----------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_owner_who_may_not_own_the_leads_is_refused_alike_everywhere(in_alpha, world, speaking, language):
    http = speaking(language)
    ada = LeadFactory(email="ada@x.io")
    words = OWNER_REFUSED[language]
    # given a viewer of alpha and another agency's owner: people, but not people who may own alpha's leads
    for person in (world.viewer_alpha, world.other_owner):
        # when each is named the owner of a new lead through the API, the admin's add page and an import,
        # and of an existing lead through the API and the sales screens
        api = api_refusal(post_json(http, f"{API}/leads/", {"email": "new@x.io", "owner": person.email}), "owner")
        patched = http.patch(f"{API}/leads/{ada.pk}/", {"owner": person.email}, content_type="application/json")
        admin = admin_refusal(http.post(f"{ADMIN}/lead/add/", {**ADMIN_ADD, "owner": person.pk}), "owner")
        imported = import_refusals(f"email,created_at,owner\nnew@x.io,{YESTERDAY}T10:00,{person.email}\n", language)
        screen = http.post(f"/c/alpha/leads/{ada.pk}/assign/", {"owner": person.pk}, follow=True)
        # then every path says the same words
        assert api == api_refusal(patched, "owner") == admin == [words]
        assert imported == [line_error_in(language, 2, "owner", words)]
        assert any(str(message).endswith(f": {words}") for message in screen.context["messages"])
    # and nothing was written
    assert list(Lead.objects.values_list("email", "owner")) == [("ada@x.io", None)]


# --- c. an incoming lead's own rules -----------------------------------------------------------------


def _future() -> tuple[str, str]:
    """A local date and time two days ahead (well past the clock skew the rule tolerates)."""
    return (timezone.localdate() + timedelta(days=2)).isoformat(), "10:00:00"


CREATED = ("2026-02-10", "10:00:00")
EARLIER = ("2026-02-01", "10:00:00")

# (the refused column, the lead's values as (date, time) pairs or text, the expected words)
RECORDS = {
    "created in the future": ("created_at", lambda: {"created_at": _future()}, IN_THE_FUTURE),
    "a stage reached before the creation": (
        "mql_at",
        lambda: {"created_at": CREATED, "stage": "sql", "mql_at": EARLIER},
        BEFORE_CREATION,
    ),
    "a loss before the creation": (
        "lost_at",
        lambda: {"created_at": CREATED, "lost_at": EARLIER, "lost_reason": "Budget"},
        BEFORE_CREATION,
    ),
}


def _api_body(values: dict) -> dict:
    return {"email": "new@x.io", **{k: "T".join(v) if isinstance(v, tuple) else v for k, v in values.items()}}


def _admin_body(values: dict) -> dict:
    body = dict(ADMIN_ADD)
    for name, value in values.items():
        if isinstance(value, tuple):
            body[f"{name}_0"], body[f"{name}_1"] = value
        else:
            body[name] = value
    return body


def _import_body(values: dict) -> str:
    row = _api_body(values)
    return ",".join(row) + "\n" + ",".join(row.values()) + "\n"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", list(RECORDS))
def test_a_lead_record_breaking_a_rule_is_refused_alike_by_the_api_the_admin_and_imports(
    in_alpha, speaking, language, case
):
    http = speaking(language)
    field, values, words = RECORDS[case]
    values = values()
    # when the same record comes through the API, the admin's add page and an import
    api = api_refusal(post_json(http, f"{API}/leads/", _api_body(values)), field)
    admin = admin_refusal(http.post(f"{ADMIN}/lead/add/", _admin_body(values)), field)
    imported = import_refusals(_import_body(values), language)
    # then each refuses it on the same column, in the same words, and nothing is written
    assert api == admin == [words[language]]
    assert imported == [line_error_in(language, 2, field, words[language])]
    assert not Lead.objects.exists()


def test_the_import_writes_leads_and_history_as_the_api_does(in_alpha, world, speaking):
    # given one record sent through the API, and the same record of another email imported
    http = speaking("en")
    values = {"created_at": CREATED, "stage": "sql", "lost_at": ("2026-03-01", "09:00:00"), "lost_reason": "Budget"}
    assert post_json(http, f"{API}/leads/", _api_body(values)).status_code == 201
    imported = _import_body(values).replace("new@x.io", "imp@x.io")
    with translation.override("en"):
        import_write(import_check(kind="leads", data=imported.encode()))
    # then both leads hold the same stages and the same history, each from its own source
    api_lead, imported_lead = Lead.objects.get(email="new@x.io"), Lead.objects.get(email="imp@x.io")
    fields = ("stage", "created_at", "mql_at", "sql_at", "customer_at", "is_lost", "lost_at", "lost_reason")
    assert [getattr(api_lead, f) for f in fields] == [getattr(imported_lead, f) for f in fields]
    steps = {
        lead.email: list(lead.transitions.order_by("pk").values_list("kind", "from_stage", "to_stage", "at", "reason"))
        for lead in (api_lead, imported_lead)
    }
    assert (
        steps["new@x.io"]
        == steps["imp@x.io"]
        == [
            (StageTransition.Kind.CREATED, "", "sql", api_lead.created_at, ""),
            (StageTransition.Kind.LOST, "", "", api_lead.lost_at, "Budget"),
        ]
    )
    # and importing the file again changes nothing
    with translation.override("en"):
        again = import_write(import_check(kind="leads", data=imported.encode()))
    assert (again.written.created, again.written.updated, again.written.unchanged) == (0, 0, 1)
    assert Lead.objects.get(email="imp@x.io").transitions.count() == 2


def test_a_leads_keyword_is_normalised_alike_by_the_api_the_admin_and_imports(in_alpha, speaking):
    # given a keyword typed with capitals and runs of spaces
    http = speaking("en")
    typed = "  Running   SHOES "
    # when leads carry it through the API, the admin's add page, an import, and an API and admin change
    assert post_json(http, f"{API}/leads/", {"email": "api@x.io", "keyword": typed}).status_code == 201
    assert http.post(f"{ADMIN}/lead/add/", {**ADMIN_ADD, "email": "admin@x.io", "keyword": typed}).status_code == 302
    with translation.override("en"):
        import_write(
            import_check(kind="leads", data=f'email,created_at,keyword\nimp@x.io,{YESTERDAY},"{typed}"\n'.encode())
        )
    patched, changed = LeadFactory(email="patched@x.io"), LeadFactory(email="changed@x.io")
    assert (
        http.patch(f"{API}/leads/{patched.pk}/", {"keyword": typed}, content_type="application/json").status_code == 200
    )
    change = {**ADMIN_ADD, "email": "changed@x.io", "keyword": typed}
    assert http.post(f"{ADMIN}/lead/{changed.pk}/change/", change).status_code == 302
    # then every lead holds the one normalised keyword
    assert set(Lead.objects.values_list("keyword", flat=True)) == {"running shoes"}
    assert Lead.objects.count() == 5


# --- a. scoring rules --------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_scoring_rule_that_cannot_be_evaluated_is_refused_alike_by_the_api_and_the_admin(
    in_alpha, speaking, language
):
    http = speaking(language)
    rule = {"name": "Newsletter", "field": "activity", "operator": "eq", "value": "newsletter", "points": 5}
    api = api_refusal(post_json(http, f"{API}/scoring-rules/", rule), "value")
    admin = admin_refusal(http.post(f"{ADMIN}/scoringrule/add/", {**rule, "is_active": "on"}), "value")
    # and a change of a good rule into the same bad one
    kept = ScoringRuleFactory(field="activity", value="form_submit")
    patch = http.patch(f"{API}/scoring-rules/{kept.pk}/", {"value": "newsletter"}, content_type="application/json")
    patched = api_refusal(patch, "value")
    changed = admin_refusal(http.post(f"{ADMIN}/scoringrule/{kept.pk}/change/", {**rule, "is_active": "on"}), "value")
    assert api == patched == admin == changed == [ACTIVITY_RULE[language]]
    assert list(ScoringRule.objects.values_list("value", flat=True)) == ["form_submit"]


def _big_companies_rule() -> ScoringRule:
    """A lead of a company of 100 people or more is worth 30 points; the lead is scored with it."""
    rule = ScoringRuleFactory(field="company_size", operator="gte", value="100", points=30)
    lead = LeadFactory(email="big@x.io", company_size=500)
    assert Lead.objects.get(pk=lead.pk).score == 30
    return rule


def _delete_through_the_api(http, rule):
    assert http.delete(f"{API}/scoring-rules/{rule.pk}/").status_code == 204


def _delete_in_the_admin(http, rule):
    assert http.post(f"{ADMIN}/scoringrule/{rule.pk}/delete/", {"post": "yes"}).status_code == 302


def _delete_selected_in_the_admin(http, rule):
    chosen = {"action": "delete_selected", "_selected_action": [rule.pk], "post": "yes"}
    assert http.post(f"{ADMIN}/scoringrule/", chosen).status_code == 302


@pytest.mark.parametrize(
    "delete", [_delete_through_the_api, _delete_in_the_admin, _delete_selected_in_the_admin], ids=lambda f: f.__name__
)
def test_deleting_a_scoring_rule_rescores_the_leads_whichever_way(in_alpha, speaking, delete):
    # given a rule that gives a lead 30 points
    rule = _big_companies_rule()
    # when the rule is deleted
    delete(speaking("en"), rule)
    # then it is gone and the lead's score no longer counts it
    assert not ScoringRule.objects.exists()
    assert Lead.objects.get(email="big@x.io").score == 0


@pytest.mark.parametrize("way", ["api", "admin"])
def test_adding_and_changing_a_scoring_rule_rescores_the_leads_whichever_way(in_alpha, speaking, way):
    http = speaking("en")
    LeadFactory(email="big@x.io", company_size=500)
    rule = {"name": "Big", "field": "company_size", "operator": "gte", "value": "100", "points": 30}
    if way == "api":
        assert post_json(http, f"{API}/scoring-rules/", rule).status_code == 201
    else:
        assert http.post(f"{ADMIN}/scoringrule/add/", {**rule, "is_active": "on"}).status_code == 302
    assert Lead.objects.get(email="big@x.io").score == 30
    pk = ScoringRule.objects.get().pk
    if way == "api":
        assert (
            http.patch(f"{API}/scoring-rules/{pk}/", {"points": 12}, content_type="application/json").status_code == 200
        )
    else:
        assert (
            http.post(f"{ADMIN}/scoringrule/{pk}/change/", {**rule, "points": 12, "is_active": "on"}).status_code == 302
        )
    assert Lead.objects.get(email="big@x.io").score == 12


# --- d. which landing page a URL belongs to ----------------------------------------------------------

SITE = "https://www.alpha.example"
# A visited URL -> the key of the landing page it belongs to (None: none).
BELONGS_TO = {
    f"{SITE}/pricing": "pricing",  # the page's own URL has capitals and a trailing slash
    f"{SITE}/PRICING/?utm_source=google&utm_medium=cpc#form": "pricing",  # query, fragment and case aside
    "http://shop.alpha.example/pricing/": "pricing",  # scheme and host aside: tracking stores the path only
    f"{SITE}/pricing/more": None,  # a page below is another page
    SITE: "home",
    f"{SITE}/?gclid=123": "home",
    f"{SITE}/guides/%C3%89t%C3%A9%20guide": "summer",  # percent-encoded, in another case
    f"{SITE}/offer": "offer-first",  # two pages share the path: the oldest takes it
    f"{SITE}/elsewhere": None,
}


def _landing_pages():
    LandingPageFactory(key="pricing", url=f"{SITE}/Pricing/")
    LandingPageFactory(key="home", url=f"{SITE}/")
    LandingPageFactory(key="summer", url=f"{SITE}/guides/été guide?utm_campaign=summer")
    LandingPageFactory(key="offer-first", url="https://www.alpha.example/offer")
    LandingPageFactory(key="offer-second", url="https://landing.alpha.example/offer/")


def _tracked_page(http, url: str) -> str | None:
    """The landing page the rollup counts a visit of ``url`` on."""
    before = _visits_per_page()
    event = {"id": str(uuid.uuid4()), "type": "visit", "session": uuid.uuid4().hex, "url": url}
    response = http.post("/c/alpha/track/", {"events": [event]}, content_type="application/json")
    assert response.status_code == 204, response.content
    tracking_rollup()
    grown = [page for page, visits in _visits_per_page().items() if visits > before.get(page, 0)]
    assert len(grown) == 1, grown
    return grown[0]


def _visits_per_page() -> dict[str | None, int]:
    rows = Traffic.objects.filter(source=FactSource.TRACKING).values("landing_page__key").annotate(n=Sum("visits"))
    return {row["landing_page__key"]: row["n"] for row in rows}


def _captured_page(http, url: str, n: int) -> str | None:
    """The landing page a lead captured by a form on ``url`` is attributed to."""
    email = f"visitor{n}@example.com"
    response = http.post(
        "/c/alpha/capture/contact/",
        {"email": email, "page_url": url},
        content_type="application/json",
        REMOTE_ADDR=f"192.0.2.{n + 1}",
    )
    assert response.status_code == 201, response.content
    page = Lead.objects.get(email=email).landing_page
    return page.key if page is not None else None


def test_tracking_and_capture_give_a_url_the_same_landing_page(in_alpha, anonymous):
    # given landing pages known by URLs written in various ways, and a form without a default page
    _landing_pages()
    CaptureFormFactory(key="contact", rate_limit_per_minute=100)
    # when a visit and a form submission come from each URL
    tracked = {url: _tracked_page(anonymous, url) for url in BELONGS_TO}
    captured = {url: _captured_page(anonymous, url, n) for n, url in enumerate(BELONGS_TO)}
    # then both count it on the same landing page: the one it belongs to
    assert tracked == captured == BELONGS_TO


def test_capture_falls_back_on_the_visits_first_page_by_the_same_rule(in_alpha, anonymous):
    _landing_pages()
    CaptureFormFactory(key="contact")
    body = {"email": "late@example.com", "page_url": f"{SITE}/contact", "landing_url": f"{SITE}/Pricing?x=1"}
    assert anonymous.post("/c/alpha/capture/contact/", body, content_type="application/json").status_code == 201
    assert Lead.objects.get(email="late@example.com").landing_page.key == "pricing"
