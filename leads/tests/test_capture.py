"""The public form-capture endpoint /c/<slug>/capture/<form-key>/: leads from a client's own web forms."""

from __future__ import annotations

import queue
import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.models import RateWindow
from campaigns.tests.factories import CampaignFactory, LandingPageFactory, OfferFactory
from leads.models import ChangeOrigin, Lead, LeadActivity, LeadSettings, StageTransition
from leads.ratelimit import EVERYONE, visitor_key
from leads.services import lead_erase
from leads.tasks import capture_rate_windows_purge, capture_rate_windows_purge_batch
from leads.tests.factories import SITE, CaptureFormFactory, LeadFactory
from tenants.models import Client


def _post_json(http: HttpClient, payload, *, slug="alpha", key="contact", ip="192.0.2.1", **headers):
    return http.post(
        f"/c/{slug}/capture/{key}/", payload, content_type="application/json", headers=headers, REMOTE_ADDR=ip
    )


def _post_form(http: HttpClient, data: dict, *, slug="alpha", key="contact", ip="192.0.2.1", **headers):
    return http.post(f"/c/{slug}/capture/{key}/", data, headers=headers, REMOTE_ADDR=ip)


def _leads(**filters) -> list[Lead]:
    """The leads of the client the test is in."""
    return list(Lead.objects.filter(**filters).select_related("channel", "offer", "landing_page", "campaign"))


# --- Capturing -----------------------------------------------------------------------------------


def test_a_form_encoded_submission_creates_a_lead_with_the_forms_defaults(in_alpha, anonymous):
    # given a form with a default offer, landing page and campaign
    offer, page, campaign = OfferFactory(key="guide"), LandingPageFactory(key="home"), CampaignFactory(key="spring")
    CaptureFormFactory(offer=offer, landing_page=page, campaign=campaign)
    # when a visitor posts the plain HTML form
    response = _post_form(
        anonymous,
        {"email": " Jane@Example.COM ", "first_name": "Jane", "company": "Acme", "company_size": "40", "message": "hi"},
    )
    # then they are sent to the thank-you page and the lead exists with the form's attribution
    assert response.status_code == 303
    assert response["Location"] == "/c/alpha/capture/contact/thanks/"
    [lead] = _leads()
    assert (lead.email, lead.first_name, lead.company, lead.company_size) == ("jane@example.com", "Jane", "Acme", 40)
    assert (lead.offer, lead.landing_page, lead.campaign) == (offer, page, campaign)
    assert [(t.kind, t.source) for t in lead.transitions.all()] == [
        (StageTransition.Kind.CREATED, ChangeOrigin.CAPTURE)
    ]
    assert [(a.kind, a.ref) for a in lead.activities.all()] == [(LeadActivity.Kind.FORM_SUBMIT, "contact")]
    thanks = anonymous.get(response["Location"])
    assert thanks.status_code == 200
    assert b'data-testid="capture-thanks"' in thanks.content


def test_a_resubmission_merges_and_answers_exactly_like_a_first_one(in_alpha, anonymous):
    # given a form
    CaptureFormFactory()
    # when the same person submits twice, the second time with more details
    first = _post_json(anonymous, {"email": "sam@example.com", "utm_source": "newsletter", "utm_medium": "email"})
    second = _post_json(anonymous, {"email": "SAM@example.com", "job_title": "CTO", "company_size": 12})
    # then one lead holds both, with the first touch's attribution, and two form submissions
    assert (first.status_code, first.json()) == (201, {"ok": True})
    assert (second.status_code, second.json()) == (201, {"ok": True})  # nothing tells the email was known
    [lead] = _leads()
    assert (lead.job_title, lead.company_size, lead.utm_source, lead.channel.key) == ("CTO", 12, "newsletter", "email")
    assert [t.kind for t in lead.transitions.all()] == [StageTransition.Kind.CREATED, StageTransition.Kind.MERGED]
    assert lead.activities.filter(kind=LeadActivity.Kind.FORM_SUBMIT, ref="contact").count() == 2


def test_submitted_keys_win_over_the_forms_defaults_and_unknown_keys_are_ignored(in_alpha, anonymous):
    # given a form with defaults, and another offer and campaign
    default_offer, webinar = OfferFactory(key="guide"), OfferFactory(key="webinar")
    default_campaign = CampaignFactory(key="spring")
    summer = CampaignFactory(key="summer", utm_campaign="summer-2026")
    page = LandingPageFactory(key="pricing", url="https://www.alpha.example/pricing")
    CaptureFormFactory(offer=default_offer, campaign=default_campaign)
    # when one submission names a known offer, another a stale offer and a campaign by its UTM code,
    # and a third comes from a known landing page's URL
    named = _post_json(anonymous, {"email": "a@example.com", "offer": "webinar", "landing_page": "gone"})
    stale = _post_json(anonymous, {"email": "b@example.com", "offer": "gone", "utm_campaign": "Summer-2026"})
    paged = _post_json(anonymous, {"email": "c@example.com", "page_url": "https://www.alpha.example/pricing/"})
    # then nothing was refused, and each lead has the most specific attribution it gave
    assert [r.status_code for r in (named, stale, paged)] == [201, 201, 201]
    leads = {lead.email: lead for lead in _leads()}
    assert (leads["a@example.com"].offer, leads["a@example.com"].landing_page) == (webinar, None)
    assert (leads["b@example.com"].offer, leads["b@example.com"].campaign) == (default_offer, summer)
    assert leads["a@example.com"].campaign == default_campaign
    assert leads["c@example.com"].landing_page == page


def test_a_public_form_cannot_set_the_stage_the_owner_or_a_deal_value(world, in_alpha, anonymous):
    CaptureFormFactory()
    response = _post_json(
        anonymous,
        {"email": "x@example.com", "stage": "customer", "owner": world.sales_alpha.pk, "deal_value": "99999"},
    )
    assert response.status_code == 201
    [lead] = _leads()
    assert (lead.stage, lead.owner_id, lead.deal_value, lead.customer_at) == ("lead", None, None, None)


def test_the_same_email_in_two_clients_makes_two_leads(world, in_alpha, anonymous):
    # given the same form key in alpha and beta
    CaptureFormFactory()
    with tenant_context(world.beta):
        CaptureFormFactory()
    # when one person submits both
    in_alpha = _post_json(anonymous, {"email": "twice@example.com", "first_name": "Alpha"}, slug="alpha")
    in_beta = _post_json(anonymous, {"email": "twice@example.com", "first_name": "Beta"}, slug="beta")
    # then each client has its own lead, created (not merged)
    assert (in_alpha.status_code, in_beta.status_code) == (201, 201)
    assert [lead.first_name for lead in _leads()] == ["Alpha"]
    with tenant_context(world.beta):
        assert [lead.first_name for lead in _leads()] == ["Beta"]


# --- Answers -------------------------------------------------------------------------------------


def test_json_is_answered_to_whoever_asks_for_it_and_browsers_are_redirected(in_alpha, anonymous):
    CaptureFormFactory()
    by_accept = _post_form(anonymous, {"email": "a@example.com"}, Accept="application/json")
    by_xhr = _post_form(anonymous, {"email": "b@example.com"}, X_Requested_With="XMLHttpRequest")
    plain = _post_form(anonymous, {"email": "c@example.com"}, Accept="text/html")
    assert (by_accept.status_code, by_accept.json()) == (201, {"ok": True})
    assert (by_xhr.status_code, by_xhr.json()) == (201, {"ok": True})
    assert plain.status_code == 303


def test_a_browser_goes_to_the_redirect_url_else_back_to_an_allowed_page(in_alpha, anonymous):
    # given a form with a redirect URL, and one without
    CaptureFormFactory(key="with-redirect", redirect_url="https://www.alpha.example/merci")
    CaptureFormFactory(key="without")
    # when browsers post them from the client's site, or from a page the forms do not list
    to_url = _post_form(anonymous, {"email": "a@example.com"}, key="with-redirect", Referer=f"{SITE}/contact")
    back = _post_form(anonymous, {"email": "b@example.com"}, key="without", Referer=f"{SITE}/contact?x=1")
    elsewhere = _post_form(anonymous, {"email": "c@example.com"}, key="without", Referer="https://evil.example/")
    # then: the redirect URL, else back to the (allowed) page, never to another site
    assert (to_url.status_code, to_url["Location"]) == (303, "https://www.alpha.example/merci")
    assert (back.status_code, back["Location"]) == (303, f"{SITE}/contact?x=1")
    assert (elsewhere.status_code, elsewhere["Location"]) == (303, "/c/alpha/capture/without/thanks/")


def test_a_filled_honeypot_looks_like_success_and_writes_nothing(in_alpha, anonymous):
    # given a form whose honeypot field is "website"
    CaptureFormFactory()
    # when a bot fills every field, as JSON and as a plain form (even with an invalid email)
    as_json = _post_json(anonymous, {"email": "bot@example.com", "website": "http://spam.example"})
    as_form = _post_form(anonymous, {"email": "not-an-email", "website": "x"})
    # then it is answered like a person, and nothing was written
    assert (as_json.status_code, as_json.json()) == (201, {"ok": True})
    assert (as_form.status_code, as_form["Location"]) == (303, "/c/alpha/capture/contact/thanks/")
    assert _leads() == []
    assert not LeadActivity.objects.exists()


def test_an_erased_email_is_not_captured_again_but_looks_accepted(in_alpha, anonymous):
    # given a lead erased on request (the client blocks erased emails, the default)
    CaptureFormFactory()
    lead_erase(lead=LeadFactory(email="gone@example.com"))
    # when the same email is submitted again, in another case
    response = _post_json(anonymous, {"email": "Gone@Example.com", "first_name": "Back"})
    # then the answer is a success and no lead exists
    assert (response.status_code, response.json()) == (201, {"ok": True})
    assert _leads() == []
    # unless the client chose to allow it
    LeadSettings.objects.update_or_create(pk=1, defaults={"block_erased_emails": False})
    assert _post_json(anonymous, {"email": "gone@example.com"}).status_code == 201
    assert [lead.email for lead in _leads()] == ["gone@example.com"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"first_name": "No email"}, "email"),
        ({"email": "a@example.com", "company_size": "many"}, "company_size"),
        ({"email": "a@example.com", "company_size": -3}, "company_size"),
        ({"email": "a@example.com", "company_size": 10**12}, "company_size"),
        ({"email": "a@example.com", "first_name": "x" * 101}, "first_name"),
        ({"email": "a@example.com", "last_name": "nul\x00byte"}, "last_name"),
        ({"email": "a@example.com", "company": {"name": "Acme"}}, "company"),
        ({"email": ["a@example.com"]}, "email"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(in_alpha, anonymous, payload, field):
    CaptureFormFactory()
    response = _post_json(anonymous, payload)
    assert response.status_code == 400
    assert list(response.json()) == [field]
    assert isinstance(response.json()[field][0], str)
    assert _leads() == []


def test_a_body_that_is_not_a_json_object_is_a_400(in_alpha, anonymous):
    CaptureFormFactory()
    broken = anonymous.post("/c/alpha/capture/contact/", "{not json", content_type="application/json")
    a_list = _post_json(anonymous, ["a@example.com"])
    form_encoded_bad = _post_form(anonymous, {"email": "nope"}, Accept="application/json")
    assert broken.status_code == a_list.status_code == form_encoded_bad.status_code == 400
    assert list(broken.json()) == list(a_list.json()) == ["non_field_errors"]
    assert list(form_encoded_bad.json()) == ["email"]


def test_a_body_too_large_to_read_is_a_400_not_a_crash(in_alpha, anonymous, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    CaptureFormFactory()
    as_json = _post_json(anonymous, {"email": "a@example.com", "company": "x" * 2000})
    as_form = _post_form(anonymous, {"email": "b@example.com", "company": "x" * 2000}, Accept="application/json")
    assert (as_json.status_code, list(as_json.json())) == (400, ["non_field_errors"])
    assert (as_form.status_code, list(as_form.json())) == (400, ["non_field_errors"])
    assert _leads() == []


# --- Who may post --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "options", "put", "delete"])
def test_an_unknown_or_inactive_form_is_a_404_whatever_the_method(world, in_alpha, anonymous, method):
    CaptureFormFactory(key="retired", is_active=False)
    with tenant_context(world.beta):
        CaptureFormFactory(key="beta-only")
    for key in ("no-such-form", "retired", "beta-only"):
        response = getattr(anonymous, method)(f"/c/alpha/capture/{key}/", headers={"Origin": SITE})
        thanks = getattr(anonymous, method)(f"/c/alpha/capture/{key}/thanks/")
        assert (response.status_code, thanks.status_code) == (404, 404), key


def test_other_methods_on_a_known_form_are_refused(in_alpha, anonymous):
    CaptureFormFactory()
    response = anonymous.get("/c/alpha/capture/contact/")
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"


def test_an_unknown_or_inactive_client_is_a_404(world, in_client, anonymous):
    # given the same form in beta, then beta closed
    in_client(world.beta)
    CaptureFormFactory()
    assert _post_json(anonymous, {"email": "a@example.com"}, slug="beta").status_code == 201
    Client.objects.filter(pk=world.beta.pk).update(is_active=False)
    # then beta, like a client that never existed, has no form at all
    assert _post_json(anonymous, {"email": "b@example.com"}, slug="beta").status_code == 404
    assert anonymous.get("/c/beta/capture/contact/").status_code == 404
    assert _post_json(anonymous, {"email": "b@example.com"}, slug="no-such-client").status_code == 404
    assert anonymous.get("/c/no-such-client/capture/contact/").status_code == 404


def test_a_preflight_from_an_allowed_origin_is_answered(in_alpha, anonymous):
    CaptureFormFactory()
    response = anonymous.options(
        "/c/alpha/capture/contact/",
        headers={"Origin": "https://landing.alpha.example", "Access-Control-Request-Method": "POST"},
    )
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://landing.alpha.example"
    assert response["Access-Control-Allow-Methods"] == "POST"
    assert "Content-Type" in response["Access-Control-Allow-Headers"]
    assert int(response["Access-Control-Max-Age"]) > 0
    assert "Origin" in response["Vary"]


def test_a_preflight_from_another_origin_is_refused(in_alpha, anonymous):
    CaptureFormFactory()
    response = anonymous.options(
        "/c/alpha/capture/contact/", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_posts_from_allowed_origins_get_cors_headers_and_others_are_refused(in_alpha, anonymous):
    CaptureFormFactory()
    # when the client's site, another site and a server (no Origin) post
    allowed = _post_json(anonymous, {"email": "a@example.com"}, Origin=SITE)
    refused = _post_json(anonymous, {"email": "b@example.com"}, Origin="https://evil.example")
    server = _post_json(anonymous, {"email": "c@example.com"})
    # then the site's browser may read the answer, the other site's may not and wrote nothing
    assert allowed.status_code == 201
    assert allowed["Access-Control-Allow-Origin"] == SITE
    assert "Origin" in allowed["Vary"]
    assert refused.status_code == 403
    assert "detail" in refused.json()
    assert "Access-Control-Allow-Origin" not in refused
    assert server.status_code == 201
    assert "Access-Control-Allow-Origin" not in server
    assert sorted(lead.email for lead in _leads()) == ["a@example.com", "c@example.com"]


def test_a_form_without_allowed_origins_takes_only_posts_without_an_origin_or_from_pouls(in_alpha, anonymous):
    CaptureFormFactory(allowed_origins="")
    assert _post_json(anonymous, {"email": "a@example.com"}, Origin=SITE).status_code == 403
    assert _post_json(anonymous, {"email": "b@example.com"}, Origin="http://testserver").status_code == 201
    assert _post_json(anonymous, {"email": "c@example.com"}).status_code == 201


# --- Rate limits ---------------------------------------------------------------------------------


def test_a_visitor_over_the_forms_limit_gets_429_and_others_are_unaffected(
    world, in_alpha, anonymous, early_in_a_minute
):
    # given a form taking 3 submissions per minute per visitor
    CaptureFormFactory(rate_limit_per_minute=3)
    # when one address submits 5 times, then another address once
    answers = [_post_json(anonymous, {"email": f"v{i}@example.com"}, ip="198.51.100.7", Origin=SITE) for i in range(5)]
    other = _post_json(anonymous, {"email": "other@example.com"}, ip="198.51.100.8")
    # then the first 3 were taken, the rest refused with a delay the browser may read
    assert [r.status_code for r in answers] == [201, 201, 201, 429, 429]
    refused = answers[-1]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused["Access-Control-Allow-Origin"] == SITE
    assert "Retry-After" in refused["Access-Control-Expose-Headers"]
    assert "detail" in refused.json()
    assert other.status_code == 201
    assert len(_leads()) == 4
    # and the counters live in alpha's schema only, without the addresses
    windows = list(RateWindow.objects.values_list("visitor", "count"))
    assert sorted(count for _, count in windows) == [1, 4, 5]
    assert all("198.51.100" not in visitor for visitor, _ in windows)
    with tenant_context(world.beta):
        assert not RateWindow.objects.exists()


def test_the_forms_ceiling_holds_against_many_addresses(in_alpha, anonymous, settings, early_in_a_minute):
    # given a ceiling of 3 submissions per minute to one form, from everyone together
    settings.POULS_CAPTURE_CEILING_PER_MINUTE = 3
    CaptureFormFactory()
    CaptureFormFactory(key="other-form")
    # when 5 different addresses submit once each, and one more to another form
    answers = [_post_json(anonymous, {"email": f"v{i}@example.com"}, ip=f"203.0.113.{i}") for i in range(5)]
    elsewhere = _post_json(anonymous, {"email": "w@example.com"}, key="other-form", ip="203.0.113.1")
    # then the form took 3; the other form has its own ceiling
    assert [r.status_code for r in answers] == [201, 201, 201, 429, 429]
    assert elsewhere.status_code == 201


def test_forwarded_addresses_count_only_behind_trusted_proxies(in_alpha, anonymous, settings, early_in_a_minute):
    CaptureFormFactory(rate_limit_per_minute=2)

    def burst(prefix: str) -> list[int]:
        return [
            _post_json(
                anonymous, {"email": f"{prefix}{i}@example.com"}, ip="10.0.0.1", X_Forwarded_For=f"192.0.2.{i}"
            ).status_code
            for i in range(4)
        ]

    # without a trusted proxy, a made-up X-Forwarded-For does not escape the limit
    assert burst("direct") == [201, 201, 429, 429]
    # behind one trusted proxy, the address it saw is the visitor
    settings.POULS_TRUSTED_PROXY_COUNT = 1
    assert burst("proxied") == [201, 201, 201, 201]
    # and what the caller wrote before it in the header is not
    forged = [
        _post_json(
            anonymous, {"email": f"forged{i}@example.com"}, ip="10.0.0.1", X_Forwarded_For=f"6.6.6.{i}, 192.0.2.50"
        ).status_code
        for i in range(4)
    ]
    assert forged == [201, 201, 429, 429]


def test_old_rate_windows_are_purged_in_every_client(db, world, monkeypatch):
    # given windows of two hours ago and of now, in alpha and beta
    now = timezone.now()
    for client in (world.alpha, world.beta):
        with tenant_context(client):
            for start in (now - timedelta(hours=2), now):
                RateWindow.objects.create(form_key="contact", visitor=EVERYONE, window_start=start, count=1)
    # when the task runs in alpha, then from the public schema (its batches run at once)
    with tenant_context(world.alpha):
        assert capture_rate_windows_purge() == 1
    ran: list[int] = []
    monkeypatch.setattr(
        capture_rate_windows_purge_batch,
        "apply_async",
        lambda *, args, **_: ran.append(capture_rate_windows_purge_batch.apply(args=args).get()),
    )
    capture_rate_windows_purge()
    assert sum(ran) == 1
    # then only current windows remain
    for client in (world.alpha, world.beta):
        with tenant_context(client):
            assert list(RateWindow.objects.values_list("window_start", flat=True)) == [now]


# --- Under load (committed data, one connection per thread) ------------------------------------


def _in_parallel(calls, *, workers: int) -> list:
    """Run the calls on `workers` threads started together, each with its own database connection
    (closed when the thread ends); the results in the calls' order."""
    work = queue.SimpleQueue()
    for item in enumerate(calls):
        work.put(item)
    results, errors = [None] * len(calls), []
    start = threading.Barrier(workers)

    def worker():
        try:
            start.wait(timeout=30)
            while True:
                try:
                    at, call = work.get_nowait()
                except queue.Empty:
                    return
                results[at] = call()
        except Exception as error:  # re-raised in the test's thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return results


def _casings(email: str, count: int) -> list[str]:
    """`count` spellings of one address, each with a different mix of upper and lower case."""
    letters = [i for i, char in enumerate(email) if char.isalpha()]
    spellings = []
    for n in range(count):
        chars = list(email)
        for bit, at in enumerate(letters):
            if (n >> (bit % 5)) & 1:
                chars[at] = chars[at].upper()
        spellings.append("".join(chars))
    return spellings


def test_twenty_parallel_captures_of_one_email_make_exactly_one_lead(committed, in_client):
    in_client(committed.alpha)
    CaptureFormFactory()
    emails = _casings("jane.doe@example.com", 20)
    assert len(set(emails)) == 20

    def submit(i: int):
        return lambda: _post_json(HttpClient(), {"email": emails[i], "first_name": f"J{i}"}, ip=f"10.20.0.{i + 1}")

    # when 20 visitors submit the same address at the same instant
    answers = _in_parallel([submit(i) for i in range(20)], workers=20)
    # then one created it, 19 merged into it, and nothing failed
    assert [r.status_code for r in answers] == [201] * 20
    [lead] = _leads()
    assert lead.email == "jane.doe@example.com"
    kinds = list(lead.transitions.values_list("kind", flat=True))
    assert kinds.count(StageTransition.Kind.CREATED) == 1
    assert kinds.count(StageTransition.Kind.MERGED) == 19
    assert len(kinds) == 20
    assert lead.activities.filter(kind=LeadActivity.Kind.FORM_SUBMIT).count() == 20


def test_a_flood_from_one_address_is_throttled_without_losing_a_legitimate_lead(
    committed, in_client, early_in_a_minute
):
    in_client(committed.alpha)
    # given a form taking 10 submissions per minute per visitor
    CaptureFormFactory(rate_limit_per_minute=10)

    def flood(i: int):
        return lambda: ("flood", _post_json(HttpClient(), {"email": f"bot{i}@flood.example"}, ip="198.51.100.66"))

    def visitor(i: int):
        return lambda: ("visitor", _post_json(HttpClient(), {"email": f"person{i}@example.com"}, ip=f"10.30.0.{i + 1}"))

    # when one address sends 100 submissions while 20 people submit, all mixed, 24 at a time
    calls = []
    for i in range(20):
        calls += [*(flood(5 * i + j) for j in range(5)), visitor(i)]
    answers = _in_parallel(calls, workers=24)
    # then exactly 10 of the flood were taken (per minute window: the burst should fit in one) and
    # the other 90 refused
    windows = RateWindow.objects.filter(form_key="contact", visitor=visitor_key("198.51.100.66")).count()
    flood_codes = [r.status_code for who, r in answers if who == "flood"]
    assert sorted(set(flood_codes)) == [201, 429]
    assert flood_codes.count(201) == 10 * windows
    assert flood_codes.count(429) == 100 - 10 * windows
    assert all(r.has_header("Retry-After") for who, r in answers if r.status_code == 429)
    # and every person got through and is a lead
    assert [r.status_code for who, r in answers if who == "visitor"] == [201] * 20
    leads = _leads()
    assert len([lead for lead in leads if lead.email.startswith("person")]) == 20
    assert len([lead for lead in leads if lead.email.endswith("@flood.example")]) == 10
