"""Writing a chunk of a source's rows (connectors/writer.py): idempotent, replacing only the source's
own rows, mapping platform campaigns, marking every day of the chunk dirty."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import translation

from campaigns.models import Campaign, FactCoverage, KeywordStat, LandingPage, PlatformCampaign, Spend, Traffic
from campaigns.tests.factories import CampaignFactory, builtin_channel
from connectors.errors import SourceRefused
from connectors.models import Source, SourceKind
from connectors.providers.rows import KeywordRow, SpendRow, TrafficRow
from connectors.windows import Chunk
from connectors.writer import chunk_write, currency_check
from kpis.models import DirtyDay

D1 = date(2026, 3, 1)
CHUNK = Chunk(D1, D1 + timedelta(days=6))


def day(n: int) -> date:
    return D1 + timedelta(days=n)


def traffic_rows() -> list[tuple]:
    return sorted(
        Traffic.objects.filter(source="ga4").values_list("date", "channel__key", "landing_page__key", "visits"),
        key=str,
    )


@pytest.fixture
def ga4(in_alpha, source_for):
    return source_for(in_alpha, SourceKind.GA4)


def test_traffic_is_aggregated_per_day_channel_and_landing_page(ga4):
    LandingPage.objects.create(key="offre-ete", name="Offre été", url="https://www.alpha.test/offre-ete/")
    rows = [
        TrafficRow(day(0), "organic_search", "/Offre-Ete/", 10),
        TrafficRow(day(0), "organic_search", "/offre-ete?utm_source=x", 5),  # same page
        TrafficRow(day(0), "no-such-channel", "/elsewhere", 3),  # unknown channel and page
        TrafficRow(day(0), "another-unknown", "(not set)", 4),  # the same key once mapped
    ]
    assert chunk_write(ga4, CHUNK, rows) == 2
    assert traffic_rows() == sorted(
        [(day(0), "organic_search", "offre-ete", 15), (day(0), "unassigned", None, 7)], key=str
    )


def test_running_a_chunk_twice_writes_the_same_rows_and_a_restated_day_replaces_the_old(ga4):
    rows = [TrafficRow(day(n), "direct", "/", 10 + n) for n in range(3)]
    chunk_write(ga4, CHUNK, rows)
    first = traffic_rows()
    chunk_write(ga4, CHUNK, rows)
    assert traffic_rows() == first
    assert Traffic.objects.filter(source="ga4").count() == 3

    # the platform restates day 1 and no longer reports day 2
    chunk_write(ga4, CHUNK, [TrafficRow(day(0), "direct", "/", 10), TrafficRow(day(1), "direct", "/", 99)])
    assert traffic_rows() == [(day(0), "direct", None, 10), (day(1), "direct", None, 99)]


def test_imported_rows_and_other_days_are_left_alone(ga4):
    direct = builtin_channel("direct")
    Traffic.objects.create(date=day(0), channel=direct, visits=7)  # imported
    Traffic.objects.create(date=day(20), channel=direct, visits=8, source="ga4")  # outside the chunk
    chunk_write(ga4, CHUNK, [TrafficRow(day(0), "direct", "/", 1)])
    assert Traffic.objects.get(source="import").visits == 7
    assert Traffic.objects.get(source="ga4", date=day(20)).visits == 8


def test_every_day_of_the_chunk_is_dirty_and_the_coverage_and_source_grow_with_it(ga4):
    DirtyDay.objects.all().delete()
    chunk_write(ga4, CHUNK, [TrafficRow(day(2), "direct", "/", 1)])
    assert sorted(DirtyDay.objects.filter(source="traffic").values_list("day", flat=True).distinct()) == CHUNK.days
    coverage = FactCoverage.objects.get(source="ga4", fact="traffic")
    assert (coverage.first_day, coverage.last_day) == (CHUNK.start, CHUNK.end)

    chunk_write(ga4, Chunk(day(7), day(9)), [])
    chunk_write(ga4, CHUNK, [])  # an older chunk again does not shrink it
    coverage.refresh_from_db()
    assert (coverage.first_day, coverage.last_day) == (day(0), day(9))
    assert Source.objects.values_list("first_day", "last_day").get(pk=ga4.pk) == (day(0), day(9))


def test_rows_outside_the_chunk_are_ignored(ga4):
    chunk_write(ga4, CHUNK, [TrafficRow(day(-1), "direct", "/", 1), TrafficRow(day(7), "direct", "/", 1)])
    assert not Traffic.objects.exists()


def test_too_many_rows_are_refused_and_nothing_is_written(ga4):
    rows = [TrafficRow(day(0), "direct", f"/{n}", 1) for n in range(4)]
    with translation.override("en"), pytest.raises(SourceRefused, match="more than 3 rows"):
        chunk_write(ga4, CHUNK, rows, max_rows=3)
    assert not Traffic.objects.exists()
    assert not FactCoverage.objects.exists()


def test_keywords_on_organic_search_with_clicks_as_visits(in_alpha, source_for):
    sc = source_for(in_alpha, SourceKind.SEARCH_CONSOLE)
    rows = [
        KeywordRow(day(0), "Running  Shoes ", 3, 40),
        KeywordRow(day(0), "running shoes", 2, 10),
        KeywordRow(day(1), "   ", 2, 10),  # nothing to key it by
    ]
    assert chunk_write(sc, CHUNK, rows) == 1
    assert list(
        KeywordStat.objects.values_list("date", "keyword", "channel__key", "visits", "impressions", "source")
    ) == [(day(0), "running shoes", "organic_search", 5, 50, "search_console")]


def spend_rows():
    return sorted(
        Spend.objects.filter(source__in=["google_ads", "meta_ads"]).values_list(
            "date", "campaign__key", "amount", "clicks", "impressions", "source"
        )
    )


def test_platform_campaigns_are_created_on_first_sight_with_their_channel_and_utm(in_alpha, source_for):
    ads = source_for(in_alpha, SourceKind.GOOGLE_ADS)
    meta = source_for(in_alpha, SourceKind.META_ADS)
    chunk_write(ads, CHUNK, [SpendRow(day(0), "111", "Été — Marque", Decimal("12.345"), 10, 100, "ete-marque")])
    chunk_write(meta, CHUNK, [SpendRow(day(0), "act-9", "Été — Marque", Decimal("5"), 1, 50)])
    google, facebook = PlatformCampaign.objects.order_by("source")
    assert (google.source, google.external_id, google.campaign.key, google.campaign.channel.key) == (
        "google_ads",
        "111",
        "ete-marque",
        "paid_search",
    )
    assert google.campaign.utm_campaign == "ete-marque"
    # Meta's campaign of the same name is another Pouls campaign, on paid social
    assert (facebook.campaign.key, facebook.campaign.channel.key, facebook.campaign.utm_campaign) == (
        "ete-marque-2",
        "paid_social",
        "",
    )
    assert spend_rows() == [
        (day(0), "ete-marque", Decimal("12.35"), 10, 100, "google_ads"),
        (day(0), "ete-marque-2", Decimal("5.00"), 1, 50, "meta_ads"),
    ]


def test_a_campaign_with_the_platforms_utm_code_is_reused_and_the_platform_name_kept_in_sync(in_alpha, source_for):
    ads = source_for(in_alpha, SourceKind.GOOGLE_ADS)
    ours = CampaignFactory(key="summer", utm_campaign="summer-2026")
    rows = [
        SpendRow(day(0), "1", "Summer search", Decimal("10"), 1, 10, "summer-2026"),
        SpendRow(day(0), "2", "Summer display", Decimal("2.50"), 2, 20, "summer-2026"),
    ]
    chunk_write(ads, CHUNK, rows)
    assert set(PlatformCampaign.objects.values_list("campaign_id", flat=True)) == {ours.pk}
    assert spend_rows() == [(day(0), "summer", Decimal("12.50"), 3, 30, "google_ads")]
    assert Campaign.objects.count() == 1

    # renamed on the platform: the name follows, the mapping (edited by someone) stays
    other = CampaignFactory(key="other")
    PlatformCampaign.objects.filter(external_id="2").update(campaign=other)
    chunk_write(ads, CHUNK, [SpendRow(day(0), "2", "Summer display (new)", Decimal("2.50"), 2, 20)])
    assert PlatformCampaign.objects.get(external_id="2").name == "Summer display (new)"
    assert spend_rows() == [(day(0), "other", Decimal("2.50"), 2, 20, "google_ads")]


def test_a_currency_other_than_the_clients_is_refused(in_alpha, source_for):
    ads = source_for(in_alpha, SourceKind.GOOGLE_ADS)
    currency_check(ads, "eur")
    currency_check(ads, "")  # not reported
    with pytest.raises(SourceRefused, match="USD.*EUR"):
        currency_check(ads, "USD")


def test_chunk_write_refuses_another_schema(world, source_for, in_client):
    ga4 = source_for(world.alpha, SourceKind.GA4)
    in_client(world.beta)
    with pytest.raises(ValueError):
        chunk_write(ga4, CHUNK, [])
