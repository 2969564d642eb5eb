"""The sales screens in the reader's words (issue 14, "Words"): built-in channels named in French,
a client's own channels by their own name, messages that name a lead as French writes it."""

from __future__ import annotations

from decimal import Decimal

from campaigns.models import Channel
from leads.models import ChangeOrigin, Stage, StageTransition
from leads.tests.factories import LeadFactory

LIST = "/c/alpha/leads/list/"


def _french(http_as, user):
    browser = http_as(user)
    browser.cookies["django_language"] = "fr"
    return browser


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_built_in_channels_are_named_in_french_and_own_channels_by_their_name(http_as, world, in_alpha):
    fair = Channel.objects.create(key="salon", name="Trade fair Lille")
    LeadFactory(email="ann@example.test", channel=Channel.objects.get(key="paid_search"))
    LeadFactory(email="bob@example.test", channel=fair)
    LeadFactory(email="cid@example.test", channel=Channel.objects.get(key="organic_social"))
    browser = _french(http_as, world.sales_alpha)
    html = browser.get(LIST).content.decode()
    assert "Recherche payante" in html and "Trade fair Lille" in html and "Réseaux sociaux (naturel)" in html
    assert "Paid search" not in html and "Organic social" not in html
    # the filter's choices too, sorted as the reader sees them
    select = html[html.index('name="channel"') :]
    select = select[: select.index("</select>")]
    assert "Recherche payante" in select and "Paid search" not in select
    ann = LeadFactory(email="ann@example.test")
    page = browser.get(f"/c/alpha/leads/{ann.pk}/").content.decode()
    assert "<dd>Recherche payante</dd>" in page


def test_the_admin_names_built_in_channels_in_french(http_as, world, in_alpha):
    browser = _french(http_as, world.manager_alpha)
    channels = browser.get("/c/alpha/admin/campaigns/channel/").content.decode()
    assert "Recherche payante" in channels and "Non attribué" in channels
    assert "Paid search" not in channels and "Unassigned" not in channels
    campaign_form = browser.get("/c/alpha/admin/campaigns/campaign/add/").content.decode()
    assert ">Recherche payante</option>" in campaign_form and "Paid search" not in campaign_form


def test_messages_name_the_lead_as_french_writes_it(http_as, world, in_alpha):
    arthur = LeadFactory(email="arthur@example.test", first_name="Arthur", last_name="Martin")
    claire = LeadFactory(email="claire@example.test", first_name="Claire", last_name="Roy", stage=Stage.CUSTOMER)
    ines = LeadFactory(email="ines@example.test", first_name="Inès", last_name="Dupuis", stage=Stage.CUSTOMER)
    browser = _french(http_as, world.manager_alpha)

    owned = browser.post(f"/c/alpha/leads/{arthur.pk}/assign/", {"owner": world.sales_alpha.pk}, follow=True)
    assert "sales@alpha.test est désormais responsable d'Arthur Martin <arthur@example.test>." in _messages(owned)

    for lead, words in ((claire, "de Claire Roy"), (ines, "d'Inès Dupuis")):
        saved = browser.post(f"/c/alpha/leads/{lead.pk}/move/", {"to": "customer", "deal_value": "1200"}, follow=True)
        assert f"Le montant de l'affaire {words} <{lead.email}> est enregistré." in _messages(saved)
        lead.refresh_from_db()
        assert lead.deal_value == Decimal("1200")


def test_the_same_messages_in_english(http_as, world, in_alpha):
    arthur = LeadFactory(email="arthur@example.test", first_name="Arthur", last_name="Martin")
    browser = http_as(world.manager_alpha)
    browser.cookies["django_language"] = "en"
    owned = browser.post(f"/c/alpha/leads/{arthur.pk}/assign/", {"owner": world.sales_alpha.pk}, follow=True)
    assert "sales@alpha.test is now in charge of Arthur Martin <arthur@example.test>." in _messages(owned)


def test_a_date_in_the_history_is_shown_in_the_clients_zone_and_language(http_as, world, in_alpha):
    """History entries keep instants as ISO text (JSON); the page shows them as people read them."""
    lead = LeadFactory(email="dan@example.test", channel=Channel.objects.get(key="email"))
    StageTransition.objects.create(
        lead=lead,
        kind=StageTransition.Kind.EDITED,
        at=lead.created_at,
        source=ChangeOrigin.API,
        changes={
            "created_at": ["2026-11-26T09:15:00.123456+00:00", "2026-11-20T23:30:00+00:00"],
            "channel": ["email", "paid_search"],
        },
    )
    page = _french(http_as, world.sales_alpha).get(f"/c/alpha/leads/{lead.pk}/").content.decode()
    # Paris is UTC+1 in November: 09:15 UTC is 10:15, and 23:30 UTC on the 20th is 00:30 on the 21st.
    assert "26 novembre 2026 10:15 → 21 novembre 2026 00:30" in page
    assert "2026-11-26T09:15" not in page and ".123456" not in page
    assert "E-mail → Recherche payante" in page  # a channel kept by key, named in French


def test_a_built_in_channels_admin_page_names_it_in_french_and_offers_nothing_to_change(http_as, world, in_alpha):
    browser = _french(http_as, world.manager_alpha)
    channel = Channel.objects.get(key="paid_search")
    page = browser.get(f"/c/alpha/admin/campaigns/channel/{channel.pk}/change/").content.decode()
    assert "Recherche payante" in page and "Paid search" not in page
    assert 'name="name"' not in page  # read-only: a built-in channel never changes
    own = Channel.objects.create(key="salon", name="Trade fair Lille")
    assert 'name="name"' in browser.get(f"/c/alpha/admin/campaigns/channel/{own.pk}/change/").content.decode()
