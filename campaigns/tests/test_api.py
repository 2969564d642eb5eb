"""Marketing data API (/c/<slug>/api/v1/…) and its client-admin screens."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from campaigns import services
from campaigns.models import (
    CTA,
    Campaign,
    Channel,
    CTAStat,
    EmailSend,
    FactSource,
    KeywordStat,
    LandingPage,
    Offer,
    Spend,
    Traffic,
)
from campaigns.tests.factories import (
    CampaignFactory,
    ChannelFactory,
    CTAFactory,
    CTAStatFactory,
    EmailSendFactory,
    KeywordStatFactory,
    LandingPageFactory,
    OfferFactory,
    SpendFactory,
    TrafficFactory,
    builtin_channel,
)
from leads.models import Lead
from leads.tests.factories import LeadFactory

API = "/c/alpha/api/v1"
ADMIN = "/c/alpha/admin/campaigns"
DAY = date(2026, 3, 2)
SENT_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def post(client, path, data):
    return client.post(path, data, content_type="application/json")


def patch(client, path, data):
    return client.patch(path, data, content_type="application/json")


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


@pytest.fixture
def cat(in_alpha):
    """A small catalogue in alpha: a paid-search campaign, an e-book offer, its page and its CTA."""
    paid, email = builtin_channel("paid_search"), builtin_channel("email")
    spring = CampaignFactory(key="spring-search", name="Spring search", channel=paid)
    newsletter = CampaignFactory(key="newsletter", name="Newsletter", channel=email)
    ebook = OfferFactory(key="ebook", name="E-book", kind=Offer.Kind.EBOOK)
    page = LandingPageFactory(key="lp-ebook", name="E-book page", offer=ebook, campaign=spring)
    cta = CTAFactory(key="download", name="Download", landing_page=page)
    return SimpleNamespace(
        paid=paid, email=email, spring=spring, newsletter=newsletter, ebook=ebook, page=page, cta=cta
    )


# --- round trips ---------------------------------------------------------------------------------


def test_a_campaign_round_trips_by_key_and_only_managers_delete_it(http_as, world, cat):
    sales, manager = http_as(world.sales_alpha), http_as(world.manager_alpha)
    body = {
        "key": "summer-social",
        "name": "Summer",
        "channel": "paid_social",
        "starts_on": "2026-06-01",
        "ends_on": "2026-08-31",
        "budget": "1500.00",
        "utm_campaign": "summer26",
    }

    created = post(sales, f"{API}/campaigns/", body)
    assert created.status_code == 201, created.content
    assert created.json() == {**body, "id": created.json()["id"], "status": "active"}
    assert sales.get(f"{API}/campaigns/summer-social/").json()["channel"] == "paid_social"

    changed = patch(sales, f"{API}/campaigns/summer-social/", {"status": "paused", "channel": None, "budget": "900"})
    assert changed.status_code == 200, changed.content
    assert (changed.json()["status"], changed.json()["channel"], changed.json()["budget"]) == ("paused", None, "900.00")
    assert changed.json()["name"] == "Summer"  # untouched by the PATCH

    assert sales.delete(f"{API}/campaigns/summer-social/").status_code == 403
    assert manager.delete(f"{API}/campaigns/summer-social/").status_code == 204
    assert sales.get(f"{API}/campaigns/summer-social/").status_code == 404


def test_offers_landing_pages_and_ctas_round_trip_by_key(http_as, world, cat):
    api = http_as(world.sales_alpha)

    offer = post(api, f"{API}/offers/", {"key": "webinar-q2", "name": "Webinar Q2", "kind": "webinar"})
    assert offer.status_code == 201 and offer.json()["kind"] == "webinar"
    page = post(
        api,
        f"{API}/landing-pages/",
        {
            "key": "lp-webinar",
            "name": "Webinar page",
            "url": "https://example.com/webinar",
            "offer": "webinar-q2",
            "campaign": "spring-search",
        },
    )
    assert page.status_code == 201, page.content
    assert (page.json()["offer"], page.json()["campaign"]) == ("webinar-q2", "spring-search")
    cta = post(api, f"{API}/ctas/", {"key": "register", "name": "Register", "landing_page": "lp-webinar"})
    assert cta.status_code == 201 and cta.json()["landing_page"] == "lp-webinar"

    assert patch(api, f"{API}/offers/webinar-q2/", {"name": "Webinar (Q2)"}).json()["name"] == "Webinar (Q2)"
    assert patch(api, f"{API}/landing-pages/lp-webinar/", {"campaign": None}).json()["campaign"] is None
    renamed = patch(api, f"{API}/ctas/register/", {"key": "register-now"})
    assert renamed.status_code == 200 and api.get(f"{API}/ctas/register-now/").json()["name"] == "Register"

    for path in ("ctas/register-now", "landing-pages/lp-webinar", "offers/webinar-q2"):
        assert api.delete(f"{API}/{path}/").status_code == 204
        assert api.get(f"{API}/{path}/").status_code == 404


FACTS = [
    ("spend", {"date": "2026-03-02", "campaign": "spring-search", "amount": "120.50"}, {"amount": "99.90"}),
    (
        "traffic",
        {"date": "2026-03-02", "channel": "paid_search", "landing_page": "lp-ebook", "visits": 40},
        {"visits": 41},
    ),
    ("cta-stats", {"date": "2026-03-02", "cta": "download", "views": 40, "clicks": 4}, {"clicks": 5}),
    (
        "keyword-stats",
        {
            "date": "2026-03-02",
            "keyword": "ebook marketing",
            "channel": "organic_search",
            "visits": 12,
            "impressions": 300,
        },
        {"impressions": None},
    ),
]


@pytest.mark.parametrize(("path", "body", "change"), FACTS)
def test_a_daily_fact_round_trips_by_id(http_as, world, cat, path, body, change):
    api = http_as(world.sales_alpha)

    created = post(api, f"{API}/{path}/", body)
    assert created.status_code == 201, created.content
    row = created.json()
    assert {k: row[k] for k in body} == body and row.get("source", "import") == "import"
    assert api.get(f"{API}/{path}/{row['id']}/").json() == row

    changed = patch(api, f"{API}/{path}/{row['id']}/", change)
    assert changed.status_code == 200, changed.content
    assert {k: changed.json()[k] for k in body} == {**body, **change}
    assert [r["id"] for r in results(api.get(f"{API}/{path}/"))] == [row["id"]]

    assert api.delete(f"{API}/{path}/{row['id']}/").status_code == 204
    assert api.get(f"{API}/{path}/{row['id']}/").status_code == 404


def test_an_email_send_round_trips_by_key(http_as, world, in_alpha, cat):
    api = http_as(world.sales_alpha)
    body = {
        "key": "march-news",
        "sent_at": "2026-03-02T09:00:00+01:00",
        "campaign": "newsletter",
        "sent": 1000,
        "delivered": 980,
        "unique_opens": 300,
        "unique_clicks": 40,
    }

    created = post(api, f"{API}/email-sends/", body)
    assert created.status_code == 201, created.content
    assert created.json()["name"] == "march-news"  # the key, when no name is given
    assert (created.json()["campaign"], created.json()["bounces"]) == ("newsletter", 0)

    changed = patch(api, f"{API}/email-sends/march-news/", {"name": "March newsletter", "unsubscribes": 3})
    assert (changed.json()["name"], changed.json()["unsubscribes"], changed.json()["sent"]) == (
        "March newsletter",
        3,
        1000,
    )
    assert api.delete(f"{API}/email-sends/march-news/").status_code == 204
    assert not EmailSend.objects.exists()


def test_keywords_are_stored_lower_cased_and_trimmed(http_as, world, cat):
    api = http_as(world.sales_alpha)
    created = post(
        api,
        f"{API}/keyword-stats/",
        {"date": "2026-03-02", "keyword": "  Running   SHOES ", "channel": "organic_search", "visits": 3},
    )
    assert created.status_code == 201 and created.json()["keyword"] == "running shoes"
    again = post(
        api,
        f"{API}/keyword-stats/",
        {"date": "2026-03-02", "keyword": "running shoes", "channel": "organic_search", "visits": 5},
    )
    assert again.status_code == 400 and "date" in again.json()  # the same (day, keyword, channel)


# --- deletes and what refers to the deleted row ----------------------------------------------------


def test_deleting_a_campaign_keeps_its_leads_and_pages_without_it_and_deletes_its_spend(http_as, world, in_alpha, cat):
    lead = LeadFactory(campaign=cat.spring, offer=cat.ebook, landing_page=cat.page)
    SpendFactory(campaign=cat.spring)
    EmailSendFactory(key="spring-mail", campaign=cat.spring)

    assert http_as(world.manager_alpha).delete(f"{API}/campaigns/spring-search/").status_code == 204

    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.campaign_id, lead.offer_id, lead.landing_page_id) == (None, cat.ebook.pk, cat.page.pk)
    assert LandingPage.objects.get(key="lp-ebook").campaign_id is None
    assert EmailSend.objects.get(key="spring-mail").campaign_id is None
    assert not Spend.objects.exists()


def test_deleting_an_offer_or_a_page_empties_the_leads_reference(http_as, world, in_alpha, cat):
    lead = LeadFactory(offer=cat.ebook, landing_page=cat.page)
    api = http_as(world.sales_alpha)
    assert api.delete(f"{API}/offers/ebook/").status_code == 204
    assert api.delete(f"{API}/landing-pages/lp-ebook/").status_code == 204
    lead = Lead.objects.get(pk=lead.pk)
    assert (lead.offer_id, lead.landing_page_id) == (None, None)
    assert CTA.objects.get(key="download").landing_page_id is None


def test_channels_update_and_delete_only_the_clients_own_unused_ones(http_as, world, in_alpha, cat):
    sales, manager = http_as(world.sales_alpha), http_as(world.manager_alpha)
    assert post(sales, f"{API}/channels/", {"key": "podcasts", "name": "Podcasts"}).status_code == 201
    assert post(sales, f"{API}/channels/", {"key": "radio", "name": "Radio"}).status_code == 201

    assert patch(sales, f"{API}/channels/podcasts/", {"key": "pods"}).status_code == 400  # keys never change
    changed = patch(sales, f"{API}/channels/podcasts/", {"name": "Podcast ads", "is_paid": True})
    assert changed.status_code == 200
    assert {k: changed.json()[k] for k in ("key", "name", "is_paid")} == {
        "key": "podcasts",
        "name": "Podcast ads",
        "is_paid": True,
    }
    builtin = patch(sales, f"{API}/channels/paid_search/", {"name": "SEA"})
    assert builtin.status_code == 400 and "key" in builtin.json()

    assert post(sales, f"{API}/campaigns/", {"key": "pod-q2", "name": "Pods", "channel": "podcasts"}).status_code == 201
    assert sales.delete(f"{API}/channels/radio/").status_code == 403  # managers only
    in_use, builtin = manager.delete(f"{API}/channels/podcasts/"), manager.delete(f"{API}/channels/paid_search/")
    assert (in_use.status_code, builtin.status_code) == (400, 400)
    assert "key" in in_use.json() and "key" in builtin.json()
    assert manager.delete(f"{API}/channels/radio/").status_code == 204

    kept = Channel.objects.filter(key__in=["podcasts", "paid_search", "radio"]).values_list("key", flat=True)
    assert set(kept) == {"podcasts", "paid_search"}
    assert Channel.objects.get(key="paid_search").name != "SEA"


def test_a_channel_used_by_a_lead_or_a_fact_is_not_deleted(http_as, world, in_alpha, cat):
    tv, radio = ChannelFactory(key="tv", is_paid=True), ChannelFactory(key="radio", is_paid=True)
    LeadFactory(channel=tv)
    KeywordStatFactory(keyword="spots", channel=radio)
    manager = http_as(world.manager_alpha)
    for key in ("tv", "radio"):
        response = manager.delete(f"{API}/channels/{key}/")
        assert response.status_code == 400 and "key" in response.json()
    assert Channel.objects.filter(key__in=["tv", "radio"]).count() == 2


# --- filters and ordering --------------------------------------------------------------------------


def test_fact_lists_filter_by_date_range_and_keys(http_as, world, in_alpha, cat):
    other_page = LandingPageFactory(key="lp-other")
    other_cta = CTAFactory(key="call-us", landing_page=other_page)
    for offset in range(3):
        day = DAY + timedelta(days=offset)
        SpendFactory(date=day, campaign=cat.spring, amount=Decimal(10 + offset))
        SpendFactory(date=day, campaign=cat.newsletter, amount=Decimal(1))
        TrafficFactory(date=day, channel=cat.paid, landing_page=cat.page, visits=10)
        TrafficFactory(date=day, channel=cat.email, landing_page=other_page, visits=2)
        CTAStatFactory(date=day, cta=cat.cta, views=10, clicks=1)
        CTAStatFactory(date=day, cta=other_cta, views=5, clicks=0)
        KeywordStatFactory(date=day, keyword="ebook marketing", channel=cat.paid, visits=4)
        KeywordStatFactory(date=day, keyword="crm", channel=builtin_channel("organic_search"), visits=4)
    TrafficFactory(date=DAY, channel=cat.paid, landing_page=cat.page, visits=7, source=FactSource.TRACKING)
    api = http_as(world.viewer_alpha)

    def dates(path, **params):
        return [r["date"] for r in results(api.get(f"{API}/{path}/", params))]

    assert dates("spend", date_from="2026-03-03", date_to="2026-03-04") == [
        "2026-03-04",
        "2026-03-04",
        "2026-03-03",
        "2026-03-03",
    ]
    assert dates("spend", campaign="spring-search", ordering="date") == ["2026-03-02", "2026-03-03", "2026-03-04"]
    assert len(dates("spend", channel="email")) == 3
    assert [r["amount"] for r in results(api.get(f"{API}/spend/?campaign=spring-search&ordering=-amount"))] == [
        "12.00",
        "11.00",
        "10.00",
    ]
    assert len(dates("traffic", landing_page="lp-ebook")) == 4
    assert len(dates("traffic", campaign="spring-search", source="import")) == 3
    assert len(dates("traffic", channel="email", date_to="2026-03-02")) == 1
    assert [r["visits"] for r in results(api.get(f"{API}/traffic/?source=tracking"))] == [7]
    assert len(dates("cta-stats", cta="call-us")) == 3
    assert len(dates("cta-stats", landing_page="lp-ebook", date_from="2026-03-04")) == 1
    assert len(dates("keyword-stats", keyword="Marketing")) == 3
    assert len(dates("keyword-stats", channel="organic_search")) == 3
    assert api.get(f"{API}/spend/?date_from=yesterday").status_code == 400
    assert dates("spend", campaign="nope") == []


def test_catalogue_and_email_lists_filter_and_order(http_as, world, in_alpha, cat):
    CampaignFactory(
        key="old-display", name="Old display", channel=builtin_channel("display"), status=Campaign.Status.ENDED
    )
    EmailSendFactory(key="feb-news", sent_at=SENT_AT - timedelta(days=28), campaign=cat.newsletter)
    EmailSendFactory(key="mar-news", sent_at=SENT_AT, campaign=cat.newsletter)
    EmailSendFactory(key="promo", sent_at=SENT_AT + timedelta(days=1))
    api = http_as(world.viewer_alpha)

    def keys(path, **params):
        return [r["key"] for r in results(api.get(f"{API}/{path}/", params))]

    assert keys("campaigns") == ["newsletter", "old-display", "spring-search"]
    assert keys("campaigns", status="ended") == ["old-display"]
    assert keys("campaigns", channel="paid_search") == ["spring-search"]
    assert keys("campaigns", q="spring") == ["spring-search"]
    assert keys("campaigns", ordering="-name") == ["spring-search", "old-display", "newsletter"]
    assert keys("landing-pages", offer="ebook", campaign="spring-search") == ["lp-ebook"]
    assert keys("ctas", landing_page="lp-ebook") == ["download"]
    assert keys("offers", kind="ebook") == ["ebook"] and keys("offers", kind="demo") == []
    assert keys("email-sends") == ["promo", "mar-news", "feb-news"]
    assert keys("email-sends", campaign="newsletter", ordering="sent_at") == ["feb-news", "mar-news"]
    assert keys("email-sends", sent_from="2026-03-01T00:00:00Z", sent_to="2026-03-03T00:00:00Z") == ["mar-news"]


# --- validation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("spend", {"date": "2026-03-02", "campaign": "spring-search", "amount": "-1"}, "amount"),
        ("spend", {"date": "2026-03-02", "campaign": "nope", "amount": "1"}, "campaign"),
        ("spend", {"date": "2026-03-02", "amount": "1"}, "campaign"),
        ("spend", {"date": "2026-02-30", "campaign": "spring-search", "amount": "1"}, "date"),
        ("cta-stats", {"date": "2026-03-02", "cta": "download", "views": 3, "clicks": 4}, "clicks"),
        ("cta-stats", {"date": "2026-03-02", "cta": "download", "views": -3, "clicks": 0}, "views"),
        (
            "cta-stats",
            {"date": "2026-03-02", "cta": "download", "views": 3, "clicks": 1, "source": "tracking"},
            "source",
        ),
        ("traffic", {"date": "2026-03-02", "visits": -1}, "visits"),
        ("traffic", {"date": "2026-03-02", "visits": 1, "source": "tracking"}, "source"),
        ("traffic", {"date": "2026-03-02", "channel": "tv", "visits": 1}, "channel"),
        (
            "keyword-stats",
            {"date": "2026-03-02", "keyword": "   ", "channel": "organic_search", "visits": 1},
            "keyword",
        ),
        (
            "keyword-stats",
            {"date": "2026-03-02", "keyword": "x", "channel": "organic_search", "visits": 1, "impressions": -5},
            "impressions",
        ),
        ("email-sends", {"key": "m", "sent_at": "2026-03-02T09:00:00Z", "sent": 10, "delivered": 11}, "delivered"),
        (
            "email-sends",
            {"key": "m", "sent_at": "2026-03-02T09:00:00Z", "sent": 10, "delivered": 9, "unique_opens": 10},
            "unique_opens",
        ),
        ("email-sends", {"key": "m", "sent_at": "2026-03-02T09:00:00Z", "bounces": -1}, "bounces"),
        ("email-sends", {"key": "m"}, "sent_at"),
        ("campaigns", {"key": "c", "name": "C", "starts_on": "2026-03-02", "ends_on": "2026-03-01"}, "ends_on"),
        ("campaigns", {"key": "c", "name": "C", "budget": "-10"}, "budget"),
        ("campaigns", {"key": "Spring Search!", "name": "C"}, "key"),
        ("campaigns", {"key": "c", "name": "   "}, "name"),
        ("campaigns", {"key": "c", "name": "C", "channel": "tv"}, "channel"),
        ("campaigns", {"key": "c", "name": "C", "status": "archived"}, "status"),
        ("campaigns", {"key": "spring-search", "name": "Again"}, "key"),
        ("offers", {"key": "ebook", "name": "Again"}, "key"),
        ("offers", {"key": "o", "name": "O", "kind": "podcast"}, "kind"),
        ("landing-pages", {"key": "p", "name": "P", "url": "not a url"}, "url"),
        ("landing-pages", {"key": "p", "name": "P", "offer": "nope"}, "offer"),
        ("ctas", {"key": "download", "name": "Again"}, "key"),
        ("ctas", {"key": "c", "name": "C", "landing_page": "nope"}, "landing_page"),
    ],
)
def test_bad_input_is_a_400_with_the_field_and_writes_nothing(http_as, world, in_alpha, cat, path, body, field):
    before = [
        m.objects.count() for m in (Campaign, Offer, LandingPage, CTA, Spend, Traffic, CTAStat, KeywordStat, EmailSend)
    ]
    response = post(http_as(world.sales_alpha), f"{API}/{path}/", body)
    assert response.status_code == 400, response.content
    assert field in response.json(), response.json()
    after = [
        m.objects.count() for m in (Campaign, Offer, LandingPage, CTA, Spend, Traffic, CTAStat, KeywordStat, EmailSend)
    ]
    assert after == before


def test_a_second_row_for_the_same_day_and_key_is_a_400_on_date(http_as, world, cat):
    api = http_as(world.sales_alpha)
    bodies = {
        "spend": {"date": "2026-03-02", "campaign": "spring-search", "amount": "1"},
        "traffic": {"date": "2026-03-02", "visits": 1},  # no channel, no page: still one row per day
        "cta-stats": {"date": "2026-03-02", "cta": "download", "views": 1, "clicks": 0},
        "keyword-stats": {"date": "2026-03-02", "keyword": "crm", "channel": "organic_search", "visits": 1},
    }
    for path, body in bodies.items():
        assert post(api, f"{API}/{path}/", body).status_code == 201
        again = post(api, f"{API}/{path}/", body)
        assert again.status_code == 400 and "date" in again.json(), (path, again.content)
        moved = post(api, f"{API}/{path}/", {**body, "date": "2026-03-03"})
        assert moved.status_code == 201
        onto = patch(api, f"{API}/{path}/{moved.json()['id']}/", {"date": "2026-03-02"})
        assert onto.status_code == 400 and "date" in onto.json(), (path, onto.content)


def test_a_patch_is_validated_against_the_stored_values(http_as, world, in_alpha, cat):
    api = http_as(world.sales_alpha)
    stat = post(api, f"{API}/cta-stats/", {"date": "2026-03-02", "cta": "download", "views": 10, "clicks": 5}).json()
    campaign = f"{API}/campaigns/spring-search/"
    assert patch(api, campaign, {"starts_on": "2026-03-01", "ends_on": "2026-03-31"}).status_code == 200
    send = post(
        api, f"{API}/email-sends/", {"key": "m", "sent_at": "2026-03-02T09:00:00Z", "sent": 10, "delivered": 8}
    ).json()

    attempts = [
        (patch(api, f"{API}/cta-stats/{stat['id']}/", {"clicks": 11}), "clicks"),
        (patch(api, f"{API}/cta-stats/{stat['id']}/", {"views": 4}), "clicks"),
        (patch(api, campaign, {"starts_on": "2026-04-01"}), "ends_on"),
        (patch(api, f"{API}/email-sends/{send['key']}/", {"sent": 7}), "delivered"),
        (patch(api, f"{API}/email-sends/{send['key']}/", {"unique_opens": 9}), "unique_opens"),
        (patch(api, f"{API}/spend/0/", {"amount": "1"}), None),
    ]
    assert [(r.status_code, field in r.json() if field else None) for r, field in attempts] == [
        (400, True),
        (400, True),
        (400, True),
        (400, True),
        (400, True),
        (404, None),
    ]
    assert CTAStat.objects.values_list("views", "clicks").get() == (10, 5)
    assert Campaign.objects.get(key="spring-search").starts_on == date(2026, 3, 1)
    assert EmailSend.objects.values_list("sent", "delivered", "unique_opens").get() == (10, 8, 0)


def test_a_constraint_tripped_despite_the_checks_is_a_400_not_a_500(http_as, world, in_alpha, cat, monkeypatch):
    """Two writers racing past the checks: the database refuses, the API answers 400 on the field."""
    api = http_as(world.sales_alpha)
    body = {"date": "2026-03-02", "cta": "download", "views": 1, "clicks": 0}
    assert post(api, f"{API}/cta-stats/", body).status_code == 201
    monkeypatch.setattr(services, "fact_check", lambda model, values, fact=None: values)
    monkeypatch.setattr(services, "_key_is_free", lambda *args: None)

    duplicate = post(api, f"{API}/cta-stats/", body)
    inconsistent = post(api, f"{API}/cta-stats/", {**body, "date": "2026-03-03", "clicks": 2})
    same_key = post(api, f"{API}/ctas/", {"key": "download", "name": "Again"})
    assert [(r.status_code, list(r.json())) for r in (duplicate, inconsistent, same_key)] == [
        (400, ["date"]),
        (400, ["clicks"]),
        (400, ["key"]),
    ]
    assert (CTAStat.objects.count(), CTA.objects.count()) == (1, 1)


# --- tracked facts, roles, tenants -------------------------------------------------------------------


def test_tracked_facts_are_listed_but_not_writable_through_the_api(http_as, world, in_alpha, cat):
    visits = TrafficFactory(date=DAY, channel=cat.paid, landing_page=cat.page, visits=7, source=FactSource.TRACKING)
    clicks = CTAStatFactory(date=DAY, cta=cat.cta, views=9, clicks=2, source=FactSource.TRACKING)
    api = http_as(world.manager_alpha)
    assert [r["source"] for r in results(api.get(f"{API}/traffic/"))] == ["tracking"]

    attempts = [
        patch(api, f"{API}/traffic/{visits.pk}/", {"visits": 1}),
        api.delete(f"{API}/traffic/{visits.pk}/"),
        patch(api, f"{API}/cta-stats/{clicks.pk}/", {"clicks": 0}),
        api.delete(f"{API}/cta-stats/{clicks.pk}/"),
    ]
    assert [(r.status_code, list(r.json())) for r in attempts] == [(400, ["source"])] * 4
    # An imported row for the same day and key lives next to the tracked one.
    imported = post(api, f"{API}/cta-stats/", {"date": "2026-03-02", "cta": "download", "views": 20, "clicks": 3})
    assert imported.status_code == 201 and imported.json()["source"] == "import"
    assert Traffic.objects.values_list("visits", "source").get() == (7, "tracking")
    assert CTAStat.objects.get(pk=clicks.pk).clicks == 2


def test_a_viewer_reads_but_every_write_is_403_and_changes_nothing(http_as, world, in_alpha, cat):
    spend = SpendFactory(date=DAY, campaign=cat.spring, amount=Decimal("5"))
    EmailSendFactory(key="m")
    viewer = http_as(world.viewer_alpha)
    assert viewer.get(f"{API}/campaigns/spring-search/").status_code == 200
    assert viewer.get(f"{API}/spend/{spend.pk}/").status_code == 200

    attempts = [
        post(viewer, f"{API}/campaigns/", {"key": "v", "name": "V"}),
        patch(viewer, f"{API}/campaigns/spring-search/", {"name": "V"}),
        viewer.delete(f"{API}/campaigns/spring-search/"),
        post(viewer, f"{API}/offers/", {"key": "v", "name": "V"}),
        viewer.delete(f"{API}/offers/ebook/"),
        patch(viewer, f"{API}/landing-pages/lp-ebook/", {"name": "V"}),
        viewer.delete(f"{API}/ctas/download/"),
        patch(viewer, f"{API}/channels/paid_search/", {"name": "V"}),
        post(viewer, f"{API}/spend/", {"date": "2026-03-03", "campaign": "spring-search", "amount": "1"}),
        patch(viewer, f"{API}/spend/{spend.pk}/", {"amount": "1"}),
        viewer.delete(f"{API}/spend/{spend.pk}/"),
        post(viewer, f"{API}/traffic/", {"date": "2026-03-03", "visits": 1}),
        post(viewer, f"{API}/cta-stats/", {"date": "2026-03-03", "cta": "download", "views": 1, "clicks": 0}),
        post(viewer, f"{API}/keyword-stats/", {"date": "2026-03-03", "keyword": "k", "channel": "email", "visits": 1}),
        patch(viewer, f"{API}/email-sends/m/", {"sent": 5}),
        viewer.delete(f"{API}/email-sends/m/"),
    ]
    assert [r.status_code for r in attempts] == [403] * len(attempts)
    assert Campaign.objects.get(key="spring-search").name == "Spring search"
    counts = (Offer.objects.count(), CTA.objects.count(), Traffic.objects.count(), CTAStat.objects.count())
    assert counts == (1, 1, 0, 0)
    assert list(Spend.objects.values_list("amount", flat=True)) == [Decimal("5.00")]
    assert EmailSend.objects.get().sent == 0 and not KeywordStat.objects.exists()


def test_another_clients_rows_are_invisible(http_as, world, cat):
    with tenant_context(world.beta):
        beta_spend = SpendFactory(date=DAY, campaign=CampaignFactory(key="beta-only"), amount=Decimal("3"))
        EmailSendFactory(key="beta-mail")
    owner = http_as(world.owner)  # reaches alpha and beta

    assert "beta-only" not in [r["key"] for r in results(owner.get(f"{API}/campaigns/"))]
    assert results(owner.get(f"{API}/spend/")) == [] and results(owner.get(f"{API}/email-sends/")) == []
    assert owner.get(f"{API}/campaigns/beta-only/").status_code == 404
    assert owner.get(f"{API}/email-sends/beta-mail/").status_code == 404
    assert owner.get(f"{API}/spend/{beta_spend.pk}/").status_code == 404
    assert patch(owner, f"{API}/spend/{beta_spend.pk}/", {"amount": "0"}).status_code == 404
    borrowed = post(owner, f"{API}/spend/", {"date": "2026-03-02", "campaign": "beta-only", "amount": "1"})
    assert borrowed.status_code == 400 and "campaign" in borrowed.json()
    assert http_as(world.other_owner).get(f"{API}/campaigns/").status_code == 404
    assert http_as(world.viewer_beta).delete(f"{API}/campaigns/spring-search/").status_code == 404
    with tenant_context(world.beta):
        assert Spend.objects.get().amount == Decimal("3.00")


# --- query counts ------------------------------------------------------------------------------------


def _rows(path: str, cat, start: int, count: int) -> None:
    """``count`` rows for the list at ``path``, every reference set (so a missing select_related shows)."""
    indexes = range(start, start + count)
    day = [DAY + timedelta(days=i) for i in range(start + count)]
    made = {
        "channels": lambda: [Channel(key=f"ch-{i}", name=f"Ch {i}") for i in indexes],
        "campaigns": lambda: [Campaign(key=f"c-{i}", name=f"C {i}", channel=cat.paid) for i in indexes],
        "offers": lambda: [Offer(key=f"o-{i}", name=f"O {i}") for i in indexes],
        "landing-pages": lambda: [
            LandingPage(key=f"p-{i}", name=f"P {i}", offer=cat.ebook, campaign=cat.spring) for i in indexes
        ],
        "ctas": lambda: [CTA(key=f"cta-{i}", name=f"CTA {i}", landing_page=cat.page) for i in indexes],
        "spend": lambda: [Spend(date=day[i], campaign=cat.spring, amount=1) for i in indexes],
        "traffic": lambda: [Traffic(date=day[i], channel=cat.paid, landing_page=cat.page, visits=1) for i in indexes],
        "cta-stats": lambda: [CTAStat(date=day[i], cta=cat.cta, views=1, clicks=1) for i in indexes],
        "keyword-stats": lambda: [KeywordStat(date=day[i], keyword="k", channel=cat.paid, visits=1) for i in indexes],
        "email-sends": lambda: [
            EmailSend(key=f"e-{i}", name="E", sent_at=SENT_AT, campaign=cat.spring) for i in indexes
        ],
    }[path]()
    type(made[0]).objects.bulk_create(made)


LISTS = [
    "channels",
    "campaigns",
    "offers",
    "landing-pages",
    "ctas",
    "spend",
    "traffic",
    "cta-stats",
    "keyword-stats",
    "email-sends",
]


@pytest.mark.parametrize("path", LISTS)
def test_list_queries_do_not_grow_with_the_rows(http_as, world, in_alpha, cat, path):
    api = http_as(world.viewer_alpha)
    _rows(path, cat, 0, 3)
    assert api.get(f"{API}/{path}/").status_code == 200  # warm up the session and caches

    with CaptureQueriesContext(connection) as few:
        small = api.get(f"{API}/{path}/?ordering=-id")
    _rows(path, cat, 3, 27)
    with CaptureQueriesContext(connection) as many:
        large = api.get(f"{API}/{path}/?ordering=-id")

    assert large.json()["count"] == small.json()["count"] + 27 and len(large.json()["results"]) >= 30
    assert len(many) == len(few), [q["sql"] for q in many.captured_queries]
    assert len(few) <= 8


# --- client admin ------------------------------------------------------------------------------------


def test_the_client_admin_lists_filters_and_searches_the_facts(http_as, world, in_alpha, cat):
    SpendFactory(date=DAY, campaign=cat.spring)
    TrafficFactory(date=DAY, channel=cat.paid, landing_page=cat.page)
    CTAStatFactory(date=DAY, cta=cat.cta)
    KeywordStatFactory(date=DAY, keyword="crm software", channel=cat.paid)
    EmailSendFactory(key="march-news", sent_at=SENT_AT, campaign=cat.newsletter)
    admin = http_as(world.manager_alpha)
    pages = {
        "cta": f"?q=download&landing_page__id__exact={cat.page.pk}",
        "spend": f"?date__year=2026&campaign__id__exact={cat.spring.pk}&campaign__channel__id__exact={cat.paid.pk}",
        "traffic": f"?source__exact=import&channel__id__exact={cat.paid.pk}&q=lp-ebook",
        "ctastat": "?date__year=2026&date__month=3&q=download",
        "keywordstat": f"?q=crm&channel__id__exact={cat.paid.pk}",
        "emailsend": f"?sent_at__year=2026&q=march&campaign__id__exact={cat.newsletter.pk}",
    }
    for model, query in pages.items():
        listed, missed = admin.get(f"{ADMIN}/{model}/{query}"), admin.get(f"{ADMIN}/{model}/?q=no-such-thing")
        assert listed.status_code == 200, (model, listed.content[:500])
        assert (listed.context["cl"].result_count, missed.context["cl"].result_count) == (1, 0), model
        assert admin.get(f"{ADMIN}/{model}/add/").status_code == 200
    found = admin.get(
        "/c/alpha/admin/autocomplete/",
        {"app_label": "campaigns", "model_name": "spend", "field_name": "campaign", "term": "spring"},
    )
    assert [r["text"] for r in found.json()["results"]] == ["Spring search"]
    assert http_as(world.sales_alpha).get(f"{ADMIN}/spend/").status_code == 403


def test_the_admin_validates_facts_like_the_api_and_keeps_tracked_rows_read_only(http_as, world, in_alpha, cat):
    tracked = CTAStatFactory(date=DAY, cta=cat.cta, views=9, clicks=2, source=FactSource.TRACKING)
    organic = builtin_channel("organic_search")
    admin = http_as(world.manager_alpha)

    keyword = admin.post(
        f"{ADMIN}/keywordstat/add/",
        {"date": "2026-03-02", "keyword": "  CRM   Software ", "channel": organic.pk, "visits": 3},
    )
    assert keyword.status_code == 302, keyword.content.decode()[:3000]
    too_many = admin.post(f"{ADMIN}/ctastat/add/", {"date": "2026-03-03", "cta": cat.cta.pk, "views": 1, "clicks": 2})
    assert too_many.status_code == 200 and too_many.context["adminform"].form.errors.get("clicks")
    imported = admin.post(f"{ADMIN}/ctastat/add/", {"date": "2026-03-02", "cta": cat.cta.pk, "views": 4, "clicks": 2})
    assert imported.status_code == 302  # next to the tracked row of that day
    twice = admin.post(f"{ADMIN}/ctastat/add/", {"date": "2026-03-02", "cta": cat.cta.pk, "views": 4, "clicks": 2})
    assert twice.status_code == 200 and twice.context["adminform"].form.errors.get("date")
    email = admin.post(
        f"{ADMIN}/emailsend/add/",
        {
            "key": "m",
            "name": "M",
            "sent_at_0": "2026-03-02",
            "sent_at_1": "09:00",
            "sent": 1,
            "delivered": 2,
            "unique_opens": 0,
            "unique_clicks": 0,
            "unsubscribes": 0,
            "bounces": 0,
            "complaints": 0,
        },
    )
    assert email.status_code == 200 and email.context["adminform"].form.errors.get("delivered")
    edit_tracked = admin.post(
        f"{ADMIN}/ctastat/{tracked.pk}/change/", {"date": "2026-03-02", "cta": cat.cta.pk, "views": 1, "clicks": 0}
    )
    assert edit_tracked.status_code == 403

    assert KeywordStat.objects.get().keyword == "crm software"
    assert sorted(CTAStat.objects.values_list("source", "views", "clicks")) == [
        ("import", 4, 2),
        ("tracking", 9, 2),
    ]
    assert not EmailSend.objects.exists()


# --- input PostgreSQL cannot take: a 400 on the field, never a 500 ---------------------------------

NUL_KEY = "spring\x00search"


@pytest.mark.parametrize(
    "path, body, field",
    [
        ("campaigns", {"key": "c", "name": "C", "channel": NUL_KEY}, "channel"),
        ("landing-pages", {"key": "p", "name": "P", "offer": NUL_KEY}, "offer"),
        ("landing-pages", {"key": "p", "name": "P", "campaign": NUL_KEY}, "campaign"),
        ("ctas", {"key": "c", "name": "C", "landing_page": NUL_KEY}, "landing_page"),
        ("spend", {"date": "2026-03-02", "campaign": NUL_KEY, "amount": "10.00"}, "campaign"),
        ("traffic", {"date": "2026-03-02", "channel": NUL_KEY, "visits": 1}, "channel"),
        ("traffic", {"date": "2026-03-02", "landing_page": NUL_KEY, "visits": 1}, "landing_page"),
        ("cta-stats", {"date": "2026-03-02", "cta": NUL_KEY, "views": 1, "clicks": 0}, "cta"),
        ("keyword-stats", {"date": "2026-03-02", "keyword": "x", "channel": NUL_KEY, "visits": 1}, "channel"),
        ("email-sends", {"key": "m", "sent_at": "2026-03-02T09:00:00Z", "campaign": NUL_KEY}, "campaign"),
        ("email-sends", {"key": "m\x00", "sent_at": "2026-03-02T09:00:00Z"}, "key"),
    ],
)
def test_a_nul_character_in_a_related_key_is_a_400_on_that_field(http_as, world, in_alpha, cat, path, body, field):
    # given the rows of every kind before
    before = [m.objects.count() for m in (Campaign, LandingPage, CTA, Spend, Traffic, CTAStat, KeywordStat, EmailSend)]
    api = http_as(world.sales_alpha)
    # when the key names a related row with a NUL character in it, as JSON and as a form
    as_json = post(api, f"{API}/{path}/", body)
    as_form = api.post(f"{API}/{path}/", body)
    # then both are refused on that field (PostgreSQL cannot compare text holding NUL) and nothing is written
    for response in (as_json, as_form):
        assert response.status_code == 400, response.content
        assert list(response.json()) == [field]
    assert [
        m.objects.count() for m in (Campaign, LandingPage, CTA, Spend, Traffic, CTAStat, KeywordStat, EmailSend)
    ] == before


def test_a_nul_character_in_a_changed_key_is_a_400_too(http_as, world, in_alpha, cat):
    api = http_as(world.sales_alpha)
    response = patch(api, f"{API}/landing-pages/lp-ebook/", {"campaign": NUL_KEY})
    assert response.status_code == 400
    assert list(response.json()) == ["campaign"]
    assert LandingPage.objects.get(key="lp-ebook").campaign == cat.spring


@pytest.mark.parametrize("offset", ["-17:06", "+16:00", "+23:59"])
def test_a_utc_offset_postgresql_cannot_read_is_a_400(http_as, world, cat, offset):
    api = http_as(world.sales_alpha)
    # when the email sends are filtered, or one is written, at a time whose offset is beyond ±15:59
    at = f"2026-01-01T00:00:00{offset}"
    listed = api.get(f"{API}/email-sends/", {"sent_from": at})
    written = post(api, f"{API}/email-sends/", {"key": "m", "sent_at": at})
    # then both name the field
    assert (listed.status_code, list(listed.json())) == (400, ["sent_from"])
    assert (written.status_code, list(written.json())) == (400, ["sent_at"])
    # while the widest real offsets are read
    assert api.get(f"{API}/email-sends/", {"sent_to": "2026-01-01T00:00:00+14:00"}).status_code == 200
    assert post(api, f"{API}/email-sends/", {"key": "m", "sent_at": "2026-01-01T00:00:00-15:59"}).status_code == 201


def test_a_url_no_view_answers_is_a_json_404(http_as, world, cat):
    api = http_as(world.sales_alpha)
    for path in ("spend/abc/", "campaigns/spring%00search/", "no-such-list/"):
        response = api.get(f"{API}/{path}")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/json"
        assert set(response.json()) == {"detail"}
