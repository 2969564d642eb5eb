"""One home per rule (issue 12): each rule of the marketing data lives in ``campaigns.rules``, and the API
(over HTTP), the client admin (its add and change pages, whose forms' ``clean()`` applies the rule) and the
imports (``import_check``, what the admin's preview, the ``import_csv`` command and upload jobs run) all
call it. So the same bad value is refused by all three, in the same words, in French and in English, and
nothing is written.

The expected words are written out here, not taken from the catalogue, so a missing translation fails.
"""

from __future__ import annotations

import json
import uuid
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import translation

from campaigns.admin_facts import EmailSendAdmin
from campaigns.imports.jobs import import_job_run
from campaigns.imports.kinds import EMAIL_OPTIONAL_COUNTERS, EMAIL_REQUIRED_COUNTERS, KINDS
from campaigns.imports.runner import import_check
from campaigns.models import CTA, Campaign, Channel, CTAStat, EmailSend, KeywordStat, LandingPage, Spend, TrackingEvent
from campaigns.serializers import EmailSendInputSerializer, EmailSendOutputSerializer
from campaigns.tests.factories import CampaignFactory, ChannelFactory, CTAFactory, builtin_channel
from campaigns.tests.import_words import line_error_in
from tenants.models import User

API = "/c/alpha/api/v1"
ADMIN = "/c/alpha/admin/campaigns"
LANGUAGES = ["fr", "en"]
NBSP = "\u00a0"


@pytest.fixture
def alpha(in_alpha):
    """The test runs in alpha, with a campaign, a CTA and a channel of its own next to the built-in ones."""
    CampaignFactory(key="spring", name="Spring")
    CTAFactory(key="download", name="Download")
    ChannelFactory(key="podcasts", name="Podcasts", is_paid=True)
    return in_alpha


@pytest.fixture
def speaking(http_as, world):
    """``speaking(language)``: alpha's manager, logged in, reading ``language`` (their own choice, which
    the pages, the API and upload jobs follow). Rolled back with the test."""

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


def import_refusals(kind: str, body: str, language: str) -> list[str]:
    with translation.override(language):
        checked = import_check(kind=kind, data=body.encode())
    assert not checked.valid
    return checked.errors


def counts() -> list[int]:
    return [m.objects.count() for m in (Campaign, LandingPage, CTAStat, KeywordStat, EmailSend, Channel)]


# --- a. a campaign ending before it starts ---------------------------------------------------------

ENDS_BEFORE_IT_STARTS = {
    "fr": "Une campagne ne peut pas se terminer avant de commencer.",
    "en": "A campaign cannot end before it starts.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_campaign_ending_before_it_starts_is_refused_alike_by_the_api_the_admin_and_imports(
    alpha, speaking, language
):
    http = speaking(language)
    before = counts()
    body = {"key": "late", "name": "Late", "starts_on": "2026-03-02", "ends_on": "2026-03-01"}
    api = api_refusal(http.post(f"{API}/campaigns/", body, content_type="application/json"), "ends_on")
    admin = admin_refusal(http.post(f"{ADMIN}/campaign/add/", {**body, "status": "active"}), "ends_on")
    spring = Campaign.objects.get(key="spring")
    change = {"key": "spring", "name": "Spring", "status": "active", "starts_on": "2026-03-02", "ends_on": "2026-03-01"}
    admin_change = admin_refusal(http.post(f"{ADMIN}/campaign/{spring.pk}/change/", change), "ends_on")
    imported = import_refusals("campaigns", "key,name,starts_on,ends_on\nlate,Late,2026-03-02,2026-03-01\n", language)

    message = ENDS_BEFORE_IT_STARTS[language]
    assert api == admin == admin_change == [message]
    assert imported == [line_error_in(language, 2, "ends_on", message)]
    assert counts() == before
    assert Campaign.objects.get(key="spring").ends_on is None


def test_the_import_command_refuses_it_in_the_same_words(alpha, tmp_path):
    path = tmp_path / "campaigns.csv"
    path.write_text("key,name,starts_on,ends_on\nlate,Late,2026-03-02,2026-03-01\n", encoding="utf-8")
    err = StringIO()
    with translation.override("en"), pytest.raises(SystemExit) as exited:
        call_command("import_csv", str(path), "--tenant", "alpha", "--kind", "campaigns", stderr=err, stdout=StringIO())
    assert exited.value.code == 1
    assert line_error_in("en", 2, "ends_on", ENDS_BEFORE_IT_STARTS["en"]) in err.getvalue().splitlines()


# --- b. counters: clicks ≤ views, delivered ≤ sent, unique opens ≤ delivered -----------------------

SEND = {"key": "march", "name": "March", "sent_at": "2026-03-02T09:00:00Z"}
ADMIN_SEND = {"key": "march", "name": "March", "sent_at_0": "2026-03-02", "sent_at_1": "09:00:00"}
EMAIL_HEADER = "key,sent_at,sent,delivered,unique_opens,unique_clicks,unsubscribes"

COUNTER_CASES = {
    "clicks above views": (
        "cta-stats",
        {"date": "2026-03-02", "cta": "download", "views": 1, "clicks": 2},
        "ctastat",
        {"date": "2026-03-02", "views": 1, "clicks": 2},
        ("cta", "date,cta,views,clicks\n2026-03-02,download,1,2\n"),
        "clicks",
        {"fr": "Plus de clics (2) que de vues (1).", "en": "2 clicks is more than 1 views."},
    ),
    "delivered above sent": (
        "email-sends",
        {**SEND, "sent": 100, "delivered": 120},
        "emailsend",
        {**ADMIN_SEND, "sent": 100, "delivered": 120, "unique_opens": 0},
        ("emails", f"{EMAIL_HEADER}\nmarch,2026-03-02T10:00:00,100,120,0,0,0\n"),
        "delivered",
        {"fr": "Plus d'e-mails délivrés (120) qu'envoyés (100).", "en": "120 delivered is more than 100 sent."},
    ),
    "unique opens above delivered": (
        "email-sends",
        {**SEND, "sent": 100, "delivered": 90, "unique_opens": 95},
        "emailsend",
        {**ADMIN_SEND, "sent": 100, "delivered": 90, "unique_opens": 95},
        ("emails", f"{EMAIL_HEADER}\nmarch,2026-03-02T10:00:00,100,90,95,0,0\n"),
        "unique_opens",
        {
            "fr": "Plus d'ouvertures uniques (95) que d'e-mails délivrés (90).",
            "en": "95 unique opens is more than 90 delivered.",
        },
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("case", COUNTER_CASES)
def test_counters_above_what_they_count_are_refused_alike_by_the_api_the_admin_and_imports(
    alpha, speaking, case, language
):
    path, body, admin_model, admin_body, (kind, csv), field, messages = COUNTER_CASES[case]
    http = speaking(language)
    before = counts()
    cta = CTA.objects.get(key="download")
    zeros = {"unique_clicks": 0, "unsubscribes": 0, "bounces": 0, "complaints": 0}
    admin_body = {"cta": cta.pk, **admin_body} if admin_model == "ctastat" else {**zeros, **admin_body}

    api = api_refusal(http.post(f"{API}/{path}/", body, content_type="application/json"), field)
    admin = admin_refusal(http.post(f"{ADMIN}/{admin_model}/add/", admin_body), field)
    imported = import_refusals(kind, csv, language)

    assert api == admin == [messages[language]]
    assert imported == [line_error_in(language, 2, field, messages[language])]
    assert counts() == before


@pytest.mark.parametrize("language", LANGUAGES)
def test_an_uploaded_file_is_refused_in_its_uploaders_language(alpha, speaking, language):
    """The worker has no request: it words the refusal for the user who uploaded the file."""
    http = speaking(language)
    _path, _body, _model, _admin, (kind, csv), field, messages = COUNTER_CASES["delivered above sent"]
    upload = http.post(f"{API}/imports/", {"kind": kind, "file": SimpleUploadedFile("e.csv", csv.encode(), "text/csv")})
    assert upload.status_code == 202, upload.content
    other = "en" if language == "fr" else "fr"
    with translation.override(other):  # whatever the worker's own language
        import_job_run(job_id=upload.json()["id"])
    job = http.get(f"{API}/imports/{upload.json()['id']}/").json()
    assert (job["status"], job["errors"]) == ("rejected", [line_error_in(language, 2, field, messages[language])])


# --- c. keyword normalisation ----------------------------------------------------------------------

TOO_LONG = {"fr": "Utilisez au plus 300 caractères.", "en": "Use at most 300 characters."}


def test_keywords_are_normalised_alike_by_the_api_the_admin_and_imports(alpha, speaking):
    """Lower-cased, spaces trimmed and runs of them collapsed, on every path; the length counts the
    keyword once collapsed (314 characters, most of them spaces, make a short keyword)."""
    http = speaking("en")
    organic = builtin_channel("organic_search")
    spaced = "  Running   SHOES "
    padded = "velo" + " " * 300 + "Electrique"
    for day, keyword in (("2026-03-02", spaced), ("2026-03-05", padded)):
        body = {"date": day, "keyword": keyword, "channel": "organic_search", "visits": 3}
        assert http.post(f"{API}/keyword-stats/", body, content_type="application/json").status_code == 201
    for day, keyword in (("2026-03-03", spaced), ("2026-03-06", padded)):
        body = {"date": day, "keyword": keyword, "channel": organic.pk, "visits": 3, "impressions": ""}
        assert http.post(f"{ADMIN}/keywordstat/add/", body).status_code == 302
    csv = f'date,keyword,visits\n2026-03-04,"{spaced}",3\n2026-03-07,"{padded}",3\n'
    checked = import_check(kind="keywords", data=csv.encode())
    assert checked.errors == []
    assert [row["keyword"] for row in checked.valid] == ["running shoes", "velo electrique"]
    stored = KeywordStat.objects.order_by("date").values_list("keyword", flat=True)
    assert list(stored) == ["running shoes", "running shoes", "velo electrique", "velo electrique"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_keyword_too_long_once_normalised_is_refused_alike(alpha, speaking, language):
    http = speaking(language)
    before = counts()
    organic = builtin_channel("organic_search")
    keyword = "Velo " + "x" * 296  # 301 characters
    api = api_refusal(
        http.post(
            f"{API}/keyword-stats/",
            {"date": "2026-03-02", "keyword": keyword, "channel": "organic_search", "visits": 3},
            content_type="application/json",
        ),
        "keyword",
    )
    admin = admin_refusal(
        http.post(
            f"{ADMIN}/keywordstat/add/",
            {"date": "2026-03-02", "keyword": keyword, "channel": organic.pk, "visits": 3, "impressions": ""},
        ),
        "keyword",
    )
    imported = import_refusals("keywords", f"date,keyword,visits\n2026-03-02,{keyword},3\n", language)
    assert api == admin == [TOO_LONG[language]]
    assert imported == [line_error_in(language, 2, "keyword", TOO_LONG[language])]
    assert counts() == before


# --- d. landing-page URLs --------------------------------------------------------------------------

BAD_URL = {"fr": "Saisissez une URL valide.", "en": "Enter a valid URL."}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("url", ["not a url", "www.example.test/offer", "javascript:alert(1)"])
def test_a_landing_page_url_that_is_not_one_is_refused_alike(alpha, speaking, language, url):
    """The import used to take any text; the admin added “http://” to a URL without a scheme."""
    http = speaking(language)
    before = counts()
    body = {"key": "offer-page", "name": "Offer page", "url": url}
    api = api_refusal(http.post(f"{API}/landing-pages/", body, content_type="application/json"), "url")
    admin = admin_refusal(http.post(f"{ADMIN}/landingpage/add/", body), "url")
    imported = import_refusals("landing_pages", f"key,name,url\noffer-page,Offer page,{url}\n", language)
    assert api == admin == [BAD_URL[language]]
    assert imported == [line_error_in(language, 2, "url", BAD_URL[language])]
    assert counts() == before


def test_a_good_url_is_taken_alike_trimmed(alpha, speaking):
    http = speaking("en")
    url = "https://www.alpha.example/offer"
    assert (
        http.post(
            f"{API}/landing-pages/", {"key": "a", "name": "A", "url": f" {url} "}, content_type="application/json"
        ).status_code
        == 201
    )
    assert http.post(f"{ADMIN}/landingpage/add/", {"key": "b", "name": "B", "url": f" {url} "}).status_code == 302
    checked = import_check(kind="landing_pages", data=f'key,name,url\nc,C," {url} "\n'.encode())
    assert checked.errors == [] and checked.valid[0]["url"] == url
    assert sorted(LandingPage.objects.values_list("key", "url")) == [("a", url), ("b", url)]


# --- e. the key format -----------------------------------------------------------------------------

NOT_A_KEY = {
    "fr": f"Utilisez des minuscules, des chiffres, «{NBSP}_{NBSP}» et «{NBSP}-{NBSP}».",
    "en": "Use lower-case letters, digits, '_' and '-'.",
}
KEY_TOO_LONG = {"fr": "Une clé compte au plus 100 caractères.", "en": "A key has at most 100 characters."}


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("bad", ["spring sale!", "été-2026", "k" * 101])
def test_a_bad_key_is_refused_alike_for_every_kind_of_keyed_row(alpha, speaking, language, bad):
    http = speaking(language)
    before = counts()
    message = (KEY_TOO_LONG if len(bad) > 100 else NOT_A_KEY)[language]
    api = [
        api_refusal(http.post(f"{API}/{path}/", body, content_type="application/json"), "key")
        for path, body in (
            ("campaigns", {"key": bad, "name": "C"}),
            ("landing-pages", {"key": bad, "name": "P"}),
            ("email-sends", {**SEND, "key": bad}),
        )
    ]
    admin = [
        admin_refusal(http.post(f"{ADMIN}/{model}/add/", body), "key")
        for model, body in (
            ("campaign", {"key": bad, "name": "C", "status": "active"}),
            ("landingpage", {"key": bad, "name": "P"}),
            ("cta", {"key": bad, "name": "C"}),
        )
    ]
    imported = import_refusals("campaigns", f"key,name\n{bad},C\n", language)
    referred = import_refusals("spend", f"date,campaign,amount\n2026-03-02,{bad},1\n", language)
    assert api == admin == [[message]] * 3
    assert imported == [line_error_in(language, 2, "key", message)]
    assert referred == [line_error_in(language, 2, "campaign", message)]
    assert counts() == before


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_channel_key_is_the_same_format_with_the_same_words(alpha, speaking, language):
    """The API's channel key was a DRF slug (upper case allowed, its own message), the service's an
    isalnum() test with a third message."""
    http = speaking(language)
    api = api_refusal(
        http.post(f"{API}/channels/", {"key": "tv ads", "name": "TV"}, content_type="application/json"), "key"
    )
    admin = admin_refusal(http.post(f"{ADMIN}/channel/add/", {"key": "tv ads", "name": "TV"}), "key")
    assert api == admin == [NOT_A_KEY[language]]


def test_a_key_is_trimmed_and_lower_cased_alike(alpha, speaking):
    """The API lower-cased keys, the admin and imports refused upper case: now all take it lower-cased."""
    http = speaking("en")
    assert (
        http.post(f"{API}/campaigns/", {"key": " Spring-A ", "name": "A"}, content_type="application/json").status_code
        == 201
    )
    assert (
        http.post(f"{ADMIN}/campaign/add/", {"key": " Spring-B ", "name": "B", "status": "active"}).status_code == 302
    )
    checked = import_check(kind="campaigns", data=b"key,name\n Spring-C ,C\n")
    assert checked.errors == [] and checked.valid[0]["key"] == "spring-c"
    assert {"spring-a", "spring-b"} <= set(Campaign.objects.values_list("key", flat=True))


# --- f. channel edits (channels are never imported: API and admin) ---------------------------------

BUILT_IN = {"fr": "Les canaux intégrés ne peuvent pas être modifiés.", "en": "Built-in channels cannot be changed."}
KEY_STAYS = {
    "fr": "La clé d'un canal ne peut pas être modifiée : le suivi, les imports et les leads y font référence.",
    "en": "A channel's key cannot be changed: tracking, imports and leads refer to it.",
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_built_in_channel_is_not_renamed_by_the_api_nor_the_admin(alpha, speaking, language):
    http = speaking(language)
    paid = builtin_channel("paid_search")
    original = paid.name
    api = api_refusal(
        http.patch(f"{API}/channels/paid_search/", {"name": "SEA"}, content_type="application/json"), "key"
    )
    assert api == [BUILT_IN[language]]
    # The admin shows a built-in channel read-only (named in the page's language): a forged post of a new
    # name or key is ignored, and nothing changes.
    page = http.get(f"{ADMIN}/channel/{paid.pk}/change/").content.decode()
    assert 'name="name"' not in page and 'name="key"' not in page
    for forged in ({"key": "paid_search", "name": "SEA", "is_paid": "on"}, {"key": "sea", "name": original}):
        assert http.post(f"{ADMIN}/channel/{paid.pk}/change/", forged).status_code == 302
    assert Channel.objects.filter(key="paid_search").values_list("name", "is_paid").get() == (original, True)
    assert not Channel.objects.filter(key="sea").exists()


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_channels_key_is_not_changed_by_the_api_nor_the_admin(alpha, speaking, language):
    http = speaking(language)
    podcasts = Channel.objects.get(key="podcasts")
    api = api_refusal(http.patch(f"{API}/channels/podcasts/", {"key": "pods"}, content_type="application/json"), "key")
    admin = admin_refusal(
        http.post(f"{ADMIN}/channel/{podcasts.pk}/change/", {"key": "pods", "name": "Podcasts", "is_paid": "on"}), "key"
    )
    assert api == admin == [KEY_STAYS[language]]
    # the name and the paid flag still change, on both; the same key sent again is no change
    renamed = http.patch(
        f"{API}/channels/podcasts/", {"key": "podcasts", "name": "Podcast ads"}, content_type="application/json"
    )
    assert renamed.status_code == 200, renamed.content
    admin_renamed = http.post(f"{ADMIN}/channel/{podcasts.pk}/change/", {"key": "podcasts", "name": "Audio"})
    assert admin_renamed.status_code == 302
    assert Channel.objects.filter(pk=podcasts.pk).values_list("key", "name", "is_paid").get() == (
        "podcasts",
        "Audio",
        False,
    )


# --- g. the email counters: every counter of a send, and those an emails file must hold ---------------


def test_the_email_counters_are_named_for_what_they_are():
    counter_fields = {
        f.name for f in EmailSend._meta.concrete_fields if f.get_internal_type() == "PositiveIntegerField"
    }
    assert set(EmailSend.COUNTERS) == counter_fields
    assert set(EMAIL_REQUIRED_COUNTERS) | set(EMAIL_OPTIONAL_COUNTERS) == set(EmailSend.COUNTERS)
    assert not set(EMAIL_REQUIRED_COUNTERS) & set(EMAIL_OPTIONAL_COUNTERS)
    emails = KINDS["emails"]
    assert set(EMAIL_REQUIRED_COUNTERS) <= set(emails.required)
    assert set(EMAIL_OPTIONAL_COUNTERS) <= set(emails.optional)
    # the API and the admin show and take every counter
    assert set(EmailSend.COUNTERS) <= set(EmailSendInputSerializer().fields)
    assert set(EmailSend.COUNTERS) <= set(EmailSendOutputSerializer.Meta.fields)
    admin_fields = {name for _title, options in EmailSendAdmin.fieldsets for name in options["fields"]}
    assert set(EmailSend.COUNTERS) <= admin_fields


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_tracking_snippet_names_ctas_by_the_same_key_rule(alpha, client, language):
    """A CTA event creates its CTA under the key it sends: the key rule of the API, not a copy of it."""

    def track(cta: str, **headers):
        event = {"id": str(uuid.uuid4()), "type": "cta_click", "session": "s1", "url": "https://a.example/", "cta": cta}
        return client.post("/c/alpha/track/", json.dumps({"events": [event]}), content_type="text/plain", **headers)

    refused = track("spring sale!", HTTP_ACCEPT_LANGUAGE=language)
    assert refused.status_code == 400, refused.content
    assert refused.json()["errors"] == {"events.0.cta": [NOT_A_KEY[language]]}
    taken = track(" Spring-Sale ")
    assert taken.status_code == 204, taken.content
    assert list(TrackingEvent.objects.values_list("cta_key", flat=True)) == ["spring-sale"]


# --- amounts of money ------------------------------------------------------------------------------

NEGATIVE_AMOUNT = {"fr": "Un montant ne peut pas être négatif.", "en": "An amount cannot be negative."}


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_negative_amount_is_refused_alike_by_the_api_the_admin_and_imports(alpha, speaking, language):
    """A campaign's budget and a day's spend: the admin took a negative budget, the import answered in
    English words of its own."""
    http = speaking(language)
    before = counts()
    budget = {"key": "cheap", "name": "Cheap", "budget": "-10.00"}
    spend = {"date": "2026-03-02", "campaign": "spring", "amount": "-1.50"}
    api = [
        api_refusal(http.post(f"{API}/campaigns/", budget, content_type="application/json"), "budget"),
        api_refusal(http.post(f"{API}/spend/", spend, content_type="application/json"), "amount"),
    ]
    admin = [
        admin_refusal(http.post(f"{ADMIN}/campaign/add/", {**budget, "status": "active"}), "budget"),
        admin_refusal(
            http.post(f"{ADMIN}/spend/add/", {**spend, "campaign": Campaign.objects.get(key="spring").pk}), "amount"
        ),
    ]
    imported = [
        *import_refusals("campaigns", "key,name,budget\ncheap,Cheap,-10\n", language),
        *import_refusals("spend", 'date,campaign,amount\n2026-03-02,spring,"-1,50"\n', language),
    ]
    message = NEGATIVE_AMOUNT[language]
    assert api == admin == [[message]] * 2
    assert imported == [line_error_in(language, 2, "budget", message), line_error_in(language, 2, "amount", message)]
    assert counts() == before
    assert not Spend.objects.exists()
