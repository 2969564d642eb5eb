"""No double counting (issue 17): where a connector covers a fact, its rows count and the imported and
tracked rows of the same days do not; outside its span they count as before. And the KPIs after a sync
equal the KPIs after importing the same numbers as CSV files (docs/connectors.md)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django_tenants.utils import tenant_context

from campaigns.imports.runner import import_run
from campaigns.models import KeywordStat, LandingPage, Spend, Traffic
from campaigns.tests.factories import CampaignFactory, builtin_channel
from connectors.models import SourceKind
from connectors.providers.rows import KeywordRow, SpendRow, TrafficRow
from connectors.sync import source_sync
from connectors.tests import stub_provider
from connectors.windows import Chunk
from connectors.writer import chunk_write
from kpis.report import kpi_compute

# the connectors' tests' fixtures
source_for = stub_provider.source_for
stub_provider_state = stub_provider.stub_provider_state

AS_OF = datetime(2026, 6, 1, tzinfo=UTC)
COVERED = date(2026, 3, 2)  # inside the chunk the connector wrote
OUTSIDE = date(2026, 3, 20)
CHUNK = Chunk(date(2026, 3, 1), date(2026, 3, 7))


def kpi(key: str, day: date, *, dimension: str | None = None, at: str = ""):
    rows = kpi_compute(period="day", start=day, end=day, dimension=dimension, as_of=AS_OF, kpis=[key])
    return next((row["value"] for row in rows if (row["key"] or "") == at), None)


def test_imported_and_tracked_traffic_is_not_counted_where_ga4_covers_it(in_alpha, source_for):
    direct = builtin_channel("direct")
    Traffic.objects.create(date=COVERED, channel=direct, visits=100)  # imported
    Traffic.objects.create(date=COVERED, channel=direct, visits=50, source="tracking")
    Traffic.objects.create(date=OUTSIDE, channel=direct, visits=7)
    Traffic.objects.create(date=OUTSIDE, channel=direct, visits=3, source="tracking")
    assert kpi("visits", COVERED) == 150

    chunk_write(source_for(in_alpha, SourceKind.GA4), CHUNK, [TrafficRow(COVERED, "direct", "/", 30)])
    assert kpi("visits", COVERED) == 30
    assert kpi("visits", OUTSIDE) == 10
    # the imported rows are kept: nothing is lost should the connector go
    assert Traffic.objects.filter(source="import").count() == 2


def test_a_covered_campaigns_imported_spend_is_not_counted_while_another_campaigns_is(in_alpha, source_for):
    covered = CampaignFactory(key="brand", utm_campaign="brand", channel=builtin_channel("paid_search"))
    other = CampaignFactory(key="print", channel=builtin_channel("display"))
    Spend.objects.create(date=COVERED, campaign=covered, amount=Decimal("100"))
    Spend.objects.create(date=COVERED, campaign=other, amount=Decimal("40"))
    Spend.objects.create(date=OUTSIDE, campaign=covered, amount=Decimal("11"))
    assert kpi("spend", COVERED) == 140

    ads = source_for(in_alpha, SourceKind.GOOGLE_ADS)
    chunk_write(ads, CHUNK, [SpendRow(COVERED, "9", "Brand", Decimal("60"), 5, 50, "brand")])
    assert kpi("spend", COVERED) == 100  # the connector's 60 for brand, the import's 40 for print
    assert kpi("spend", COVERED, dimension="campaign", at="brand") == 60
    assert kpi("spend", COVERED, dimension="campaign", at="print") == 40
    assert kpi("spend", OUTSIDE) == 11


def test_imported_keywords_are_not_counted_where_search_console_covers_them(in_alpha, source_for):
    organic = builtin_channel("organic_search")
    KeywordStat.objects.create(date=COVERED, keyword="crm", channel=organic, visits=10)
    KeywordStat.objects.create(date=OUTSIDE, keyword="crm", channel=organic, visits=5)
    assert kpi("keyword_visits", COVERED, dimension="keyword", at="crm") == 10

    chunk_write(source_for(in_alpha, SourceKind.SEARCH_CONSOLE), CHUNK, [KeywordRow(COVERED, "CRM", 3, 30)])
    assert kpi("keyword_visits", COVERED, dimension="keyword", at="crm") == 3
    assert kpi("keyword_visits", OUTSIDE, dimension="keyword", at="crm") == 5


# --- a sync and an import of the same numbers give the same KPIs -----------------------------------

TRAFFIC_CSV = b"""date,channel,landing_page,visits
2026-03-02,organic_search,lp-a,16
2026-03-02,paid_social,lp-a,24
2026-03-03,organic_search,lp-b,9
2026-04-11,direct,lp-b,4
"""
SPEND_CSV = b"""date;campaign;amount
2026-03-02;spring-search;62.40
2026-03-03;spring-search;10,00
2026-03-02;spring-social;248,16
2026-04-11;spring-social;1.05
"""
KEYWORDS_CSV = b"""date,keyword,visits,impressions
2026-03-02,logiciel kpi,59,116
2026-03-03,taux de conversion,4,592
"""
STUB_ROWS = {
    SourceKind.GA4: [
        TrafficRow(date(2026, 3, 2), "organic_search", "/lp-a", 16),
        TrafficRow(date(2026, 3, 2), "paid_social", "/LP-A/", 24),
        TrafficRow(date(2026, 3, 3), "organic_search", "/lp-b", 9),
        TrafficRow(date(2026, 4, 11), "direct", "/lp-b?gclid=1", 4),
    ],
    SourceKind.GOOGLE_ADS: [
        # two platform campaigns that map to one Pouls campaign (by its UTM code) add up
        SpendRow(date(2026, 3, 2), "11", "Spring — search", Decimal("60.00"), 10, 100, "spring-search"),
        SpendRow(date(2026, 3, 2), "12", "Spring — search (brand)", Decimal("2.40"), 1, 10, "spring-search"),
        SpendRow(date(2026, 3, 3), "11", "Spring — search", Decimal("10"), 2, 20, "spring-search"),
    ],
    SourceKind.META_ADS: [
        SpendRow(date(2026, 3, 2), "21", "Spring social", Decimal("248.16"), 3, 30, "spring-social"),
        SpendRow(date(2026, 4, 11), "21", "Spring social", Decimal("1.05"), 1, 10, "spring-social"),
    ],
    SourceKind.SEARCH_CONSOLE: [
        KeywordRow(date(2026, 3, 2), "Logiciel KPI", 59, 116),
        KeywordRow(date(2026, 3, 3), "taux de conversion", 4, 592),
    ],
}
KPIS = ["visits", "spend", "keyword_visits"]


def catalogue(client) -> None:
    """The same campaigns and landing pages in both clients."""
    with tenant_context(client):
        LandingPage.objects.create(key="lp-a", name="A", url=f"https://{client.slug}.test/lp-a")
        LandingPage.objects.create(key="lp-b", name="B", url=f"https://{client.slug}.test/lp-b/")
        CampaignFactory(key="spring-search", utm_campaign="spring-search", channel=builtin_channel("paid_search"))
        CampaignFactory(key="spring-social", utm_campaign="spring-social", channel=builtin_channel("paid_social"))


def report(client) -> list[tuple]:
    """Every KPI of the three facts, per day and month, in total and per dimension."""
    found = []
    with tenant_context(client):
        for period in ("day", "month"):
            for dimension in (None, "channel", "campaign", "landing_page", "keyword"):
                rows = kpi_compute(
                    period=period,
                    start=date(2026, 3, 1),
                    end=date(2026, 4, 30),
                    dimension=dimension,
                    as_of=AS_OF,
                    kpis=KPIS,
                )
                found += [
                    (r["kpi"], r["period"], str(r["start"]), r["dimension"], r["key"], r["value"])
                    for r in rows
                    if r["value"] not in (None, 0)
                ]
    return sorted(found, key=repr)


@pytest.mark.django_db
def test_kpis_after_a_sync_equal_kpis_after_importing_the_same_numbers(world, source_for, stub_provider_state):
    alpha, beta = world.alpha, world.beta
    catalogue(alpha)
    catalogue(beta)
    with tenant_context(alpha):
        for kind, data in (("traffic", TRAFFIC_CSV), ("spend", SPEND_CSV), ("keywords", KEYWORDS_CSV)):
            assert import_run(kind=kind, data=data).rows > 0
    for kind, rows in STUB_ROWS.items():
        source = source_for(beta, kind)
        stub_provider_state.rows = rows
        result = source_sync(source.pk, now=datetime(2026, 5, 1, 12, tzinfo=UTC))
        assert result.outcome == "ok", result.error

    imported, synced = report(alpha), report(beta)
    assert len(imported) > 20  # the comparison compares something
    assert synced == imported
