"""factory_boy factories for a client's marketing data. They write in the connection's current schema:
use them inside a client (the ``in_alpha`` / ``in_client`` fixtures). Every key and date is unique by
default, so a test names only what it asserts on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from campaigns.models import (
    CTA,
    Campaign,
    Channel,
    CTAStat,
    EmailSend,
    FactSource,
    ImportJob,
    KeywordStat,
    LandingPage,
    Offer,
    Spend,
    Traffic,
)

FIRST_DAY = date(2026, 1, 1)


def builtin_channel(key: str) -> Channel:
    """One of the GA4 channels every client starts with (paid_search, organic_search, email, …)."""
    return Channel.objects.get(key=key)


def _day(n: int) -> date:
    return FIRST_DAY + timedelta(days=n)


class ChannelFactory(DjangoModelFactory):
    """A client's own channel, next to the built-in ones."""

    class Meta:
        model = Channel

    key = factory.Sequence(lambda n: f"channel-{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("-", " ").title())
    is_paid = False


class CampaignFactory(DjangoModelFactory):
    class Meta:
        model = Campaign

    key = factory.Sequence(lambda n: f"campaign-{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("-", " ").title())


class OfferFactory(DjangoModelFactory):
    class Meta:
        model = Offer

    key = factory.Sequence(lambda n: f"offer-{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("-", " ").title())


class LandingPageFactory(DjangoModelFactory):
    class Meta:
        model = LandingPage

    key = factory.Sequence(lambda n: f"page-{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("-", " ").title())


class CTAFactory(DjangoModelFactory):
    class Meta:
        model = CTA

    key = factory.Sequence(lambda n: f"cta-{n}")
    name = factory.LazyAttribute(lambda o: o.key.replace("-", " ").title())


# Daily facts: an imported row (source ``import``) unless a test passes ``source=FactSource.TRACKING``,
# which only the tracking rollup writes in the product (the services refuse it).


class SpendFactory(DjangoModelFactory):
    class Meta:
        model = Spend

    date = factory.Sequence(_day)
    campaign = factory.SubFactory(CampaignFactory)
    amount = Decimal("10.00")


class TrafficFactory(DjangoModelFactory):
    class Meta:
        model = Traffic

    date = factory.Sequence(_day)
    visits = 1
    source = FactSource.IMPORT


class CTAStatFactory(DjangoModelFactory):
    class Meta:
        model = CTAStat

    date = factory.Sequence(_day)
    cta = factory.SubFactory(CTAFactory)
    views = 10
    clicks = 1
    source = FactSource.IMPORT


class KeywordStatFactory(DjangoModelFactory):
    class Meta:
        model = KeywordStat

    date = factory.Sequence(_day)
    keyword = "crm"  # stored lower-cased and trimmed: pass it that way
    channel = factory.LazyFunction(lambda: builtin_channel("organic_search"))
    visits = 1


class EmailSendFactory(DjangoModelFactory):
    """An email send with its imported counters (zero unless given); named by its key, as the
    service names it."""

    class Meta:
        model = EmailSend

    key = factory.Sequence(lambda n: f"send-{n}")
    name = factory.LazyAttribute(lambda o: o.key)
    sent_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class ImportJobFactory(DjangoModelFactory):
    """An uploaded file waiting in the queue (``campaigns.imports.jobs``)."""

    class Meta:
        model = ImportJob

    kind = "offers"
    filename = factory.LazyAttribute(lambda o: f"{o.kind}.csv")
    data = b"key,name\nebook,E-book\n"
