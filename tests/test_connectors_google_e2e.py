"""The three Google sources end to end: a real Celery worker runs ``connectors.sync`` against the fake
GA4, Search Console and Google Ads APIs and the fake Google authorization server on loopback. For each:
the backfill writes 13 months of facts and dirties every day of them for the KPIs; an incremental pull
after a 429 writes a restated day and drops a row the platform no longer reports; an expired access
token is refreshed once with the refresh token; a revoked grant marks the connection and the source
broken, keeping what was written."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.models import FactCoverage, FactSource, KeywordStat, PlatformCampaign, Spend, Traffic
from config.crypto import decrypted
from connectors.models import Connection, ConnectionStatus, Source, SourceKind, SourceStatus
from connectors.providers.ga4 import channel_key
from connectors.providers.google_ads import money
from connectors.providers.search_console import normalised_keyword
from connectors.windows import backfill_first_day, chunks, source_yesterday
from kpis.models import DirtyDay
from tests.connector_worker import google_grant, rows_removed_after, sync_in_worker, worker_on_own_queue
from tests.fakes.base import Answer, FakeServer, TokenBook, serving
from tests.fakes.ga4 import FakeGa4, google_error
from tests.fakes.google_ads import FakeGoogleAds, quota_exhausted
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.search_console import FakeSearchConsole, gsc_error

pytestmark = pytest.mark.worker

PROPERTY = "properties/31415926"
SITE = "sc-domain:alpha.example"
MANAGER, CUSTOMER = "9000000001", "9000000002"
DEVELOPER_TOKEN = "dev-token-e2e"
REPORT = f"/v1beta/{PROPERTY}:runReport"
QUERY = "/webmasters/v3/sites/sc-domain%3Aalpha.example/searchAnalytics/query"
STREAM = f"/v21/customers/{CUSTOMER}/googleAds:searchStream"


@dataclass
class Google:
    server: FakeServer
    tokens: TokenBook
    login: FakeGoogleOAuth
    ga4: FakeGa4
    gsc: FakeSearchConsole
    ads: FakeGoogleAds

    def env(self) -> dict[str, str]:
        base = self.server.base_url
        return {
            **self.login.settings(self.server),
            "POULS_GA4_DATA_URL": base,
            "POULS_GA4_ADMIN_URL": base,
            "POULS_SEARCH_CONSOLE_URL": base,
            "POULS_GOOGLE_ADS_URL": f"{base}/v21",
            "POULS_GOOGLE_ADS_DEVELOPER_TOKEN": DEVELOPER_TOKEN,
        }


@pytest.fixture
def google():
    tokens = TokenBook()
    server = FakeServer()
    login = FakeGoogleOAuth(tokens, client_id="google-app-e2e", client_secret="google-secret-e2e")
    fakes = (FakeGa4(tokens), FakeSearchConsole(tokens), FakeGoogleAds(tokens, developer_token=DEVELOPER_TOKEN))
    for fake in (login, *fakes):
        fake.install(server)
    with serving(server):
        yield Google(server, tokens, login, *fakes)


@pytest.fixture
def worker(committed, google, settings, tmp_path):
    with worker_on_own_queue(settings, tmp_path / "worker.log", google.env()) as queue:
        yield queue


FACT_MODEL = {SourceKind.GA4: Traffic, SourceKind.SEARCH_CONSOLE: KeywordStat, SourceKind.GOOGLE_ADS: Spend}


def _source(committed, google: Google, kind: str, external_id: str, login_customer_id: str = ""):
    """A Google grant of the agency (tokens the fake authorization server knows, stored encrypted, valid an
    hour) and alpha's source of ``kind`` through it; everything it wrote removed afterwards."""
    connection = google_grant(committed.agency, google.tokens)
    source = Source.objects.create(
        client=committed.alpha,
        connection=connection,
        kind=kind,
        external_id=external_id,
        external_name="Alpha",
        login_customer_id=login_customer_id,
    )
    with rows_removed_after(committed.alpha, connection, {FACT_MODEL[kind]: [kind]}):
        yield source


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def _backfilled(source: Source, queue: str, fact: str) -> tuple[date, date]:
    """Run the backfill and check what every source's backfill must do; its first and last day."""
    yesterday = source_yesterday(source, timezone.now())
    first = backfill_first_day(yesterday)
    result = sync_in_worker(source, queue)
    assert (result["outcome"], result["mode"], result["error"]) == ("ok", "backfill", "")
    assert result["chunks"] == len(chunks(first, yesterday)) and result["rows_written"] > 0
    source.refresh_from_db()
    assert (source.status, source.first_day, source.last_day) == (SourceStatus.OK, first, yesterday)
    with tenant_context(source.client):
        dirty = set(DirtyDay.objects.filter(source=fact).values_list("day", flat=True))
        coverage = FactCoverage.objects.get(source=source.kind, fact=fact)
    assert set(_days(first, yesterday)) <= dirty  # every day read is dirty for the KPIs, even a quiet one
    assert (coverage.first_day, coverage.last_day) == (first, yesterday)
    return first, yesterday


def _token_refreshed_then_revoked(google: Google, source: Source, queue: str, platform_prefix: str) -> None:
    """An expired access token is refreshed once and the run succeeds; a revoked grant breaks it."""
    old = decrypted(Connection.objects.get(pk=source.connection_id).access_token)
    google.tokens.expire_all()
    refreshes = google.login.refreshes
    seen = len(google.server.calls)
    result = sync_in_worker(source, queue)
    assert result["outcome"] == "ok"
    assert google.login.refreshes == refreshes + 1
    new = decrypted(Connection.objects.get(pk=source.connection_id).access_token)
    assert new != old and google.tokens.valid(new)
    used = {c.headers["authorization"] for c in google.server.calls[seen:] if c.path.startswith(platform_prefix)}
    assert used == {f"Bearer {old}", f"Bearer {new}"}  # the 401 with the old one, then the new one only

    google.tokens.revoke_all()
    result = sync_in_worker(source, queue)
    assert result["outcome"] == "broken"
    connection = Connection.objects.get(pk=source.connection_id)
    source.refresh_from_db()
    assert connection.status == ConnectionStatus.BROKEN
    assert source.status == SourceStatus.BROKEN and source.last_error


# --- GA4 ------------------------------------------------------------------------------------------


def _ga4_fill(ga4: FakeGa4, start: date, end: date) -> None:
    for day in _days(start, end):
        n = day.toordinal()
        ga4.set_sessions(PROPERTY, day, "Organic Search", "/", 20 + n % 7)
        ga4.set_sessions(PROPERTY, day, "Paid Search", "/offre-ete", 5 + n % 3)
        ga4.set_sessions(PROPERTY, day, "Audio", "/", 1 + n % 2)  # Audio and Cross-network: both paid_other
        ga4.set_sessions(PROPERTY, day, "Cross-network", "/", 2)
        if n % 5 == 0:
            ga4.set_sessions(PROPERTY, day, "Some custom group", "(not set)", 3)


def _ga4_expected(ga4: FakeGa4, start: date, end: date) -> dict[tuple[date, str], int]:
    expected: dict[tuple[date, str], int] = defaultdict(int)
    for (_prop, day, group, _landing), sessions in ga4.sessions.items():
        if start <= day <= end:
            expected[(day, channel_key(group))] += sessions
    return dict(expected)


def _ga4_written(source: Source) -> dict[tuple[date, str], int]:
    with tenant_context(source.client):
        rows = (
            Traffic.objects.filter(source=FactSource.GA4).values_list("date", "channel__key").annotate(v=Sum("visits"))
        )
        return {(day, key): visits for day, key, visits in rows}


@pytest.fixture
def ga4_source(committed, google):
    yield from _source(committed, google, SourceKind.GA4, PROPERTY)


def test_ga4_backfill_restated_day_429_refresh_and_revocation(google, worker, ga4_source):
    source = ga4_source
    google.ga4.add_property(PROPERTY, "alpha.example")
    yesterday = source_yesterday(source, timezone.now())
    _ga4_fill(google.ga4, backfill_first_day(yesterday) - timedelta(days=20), yesterday + timedelta(days=1))

    first, yesterday = _backfilled(source, worker, "traffic")
    assert _ga4_written(source) == _ga4_expected(google.ga4, first, yesterday)
    assert {key for _day, key in _ga4_written(source)} == {"organic_search", "paid_search", "paid_other", "unassigned"}
    backfill_calls = len(google.server.calls_to(REPORT))
    assert backfill_calls == len(chunks(first, yesterday))  # one page per 31-day chunk

    # GA4 restated a day of the last 7 and no longer reports one of its rows; it answers a 429 first.
    restated = yesterday - timedelta(days=3)
    google.ga4.set_sessions(PROPERTY, restated, "Organic Search", "/", 777)
    google.ga4.set_sessions(PROPERTY, restated, "Paid Search", "/offre-ete", 0)
    google.server.queue(REPORT, [google_error(429, "RESOURCE_EXHAUSTED", "Exhausted concurrent requests quota.")])
    result = sync_in_worker(source, worker)
    assert (result["outcome"], result["mode"]) == ("ok", "incremental")
    assert len(google.server.calls_to(REPORT)) == backfill_calls + 2  # the 429, then the 7 days in one page
    written = _ga4_written(source)
    assert written[(restated, "organic_search")] == 777 and (restated, "paid_search") not in written
    assert written == _ga4_expected(google.ga4, first, yesterday)

    _token_refreshed_then_revoked(google, source, worker, "/v1beta/")
    assert _ga4_written(source) == _ga4_expected(google.ga4, first, yesterday)  # what was written stays


# --- Search Console -------------------------------------------------------------------------------


def _gsc_fill(gsc: FakeSearchConsole, start: date, end: date) -> None:
    for day in _days(start, end):
        n = day.toordinal()
        gsc.set_query(SITE, day, "agence web lille", 3 + n % 4, 40 + n % 9)
        gsc.set_query(SITE, day, "Vélo Électrique ", 1, 10)  # one keyword with the next one for Pouls
        gsc.set_query(SITE, day, "vélo électrique", n % 3, 12)


def _gsc_expected(gsc: FakeSearchConsole, start: date, end: date) -> dict[tuple[date, str], tuple[int, int]]:
    expected: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for (_site, day, query), (clicks, impressions) in gsc.stats.items():
        if start <= day <= end:
            expected[(day, normalised_keyword(query))][0] += clicks
            expected[(day, normalised_keyword(query))][1] += impressions
    return {key: tuple(value) for key, value in expected.items()}


def _gsc_written(source: Source) -> dict[tuple[date, str], tuple[int, int]]:
    with tenant_context(source.client):
        rows = KeywordStat.objects.filter(source=FactSource.SEARCH_CONSOLE)
        assert {r.channel.key for r in rows.select_related("channel")} <= {"organic_search"}
        return {(r.date, r.keyword): (r.visits, r.impressions) for r in rows}


@pytest.fixture
def gsc_source(committed, google):
    yield from _source(committed, google, SourceKind.SEARCH_CONSOLE, SITE)


def test_search_console_backfill_restated_day_429_refresh_and_revocation(google, worker, gsc_source):
    source = gsc_source
    google.gsc.add_site(SITE)
    yesterday = source_yesterday(source, timezone.now())
    _gsc_fill(google.gsc, backfill_first_day(yesterday) - timedelta(days=20), yesterday + timedelta(days=1))

    first, yesterday = _backfilled(source, worker, "keyword")
    assert _gsc_written(source) == _gsc_expected(google.gsc, first, yesterday)
    assert {keyword for _day, keyword in _gsc_written(source)} == {"agence web lille", "vélo électrique"}
    backfill_calls = len(google.server.calls_to(QUERY))

    restated = yesterday - timedelta(days=2)
    google.gsc.set_query(SITE, restated, "agence web lille", 99, 999)
    google.gsc.set_query(SITE, restated, "Vélo Électrique ", 0, 0)
    google.gsc.set_query(SITE, restated, "vélo électrique", 0, 0)
    google.server.queue(QUERY, [gsc_error(429, "rateLimitExceeded", "Quota exceeded for quota metric 'Queries'.")])
    result = sync_in_worker(source, worker)
    assert (result["outcome"], result["mode"]) == ("ok", "incremental")
    assert len(google.server.calls_to(QUERY)) == backfill_calls + 2  # the 429, then one 7-day window
    written = _gsc_written(source)
    assert written[(restated, "agence web lille")] == (99, 999) and (restated, "vélo électrique") not in written
    assert written == _gsc_expected(google.gsc, first, yesterday)

    _token_refreshed_then_revoked(google, source, worker, "/webmasters/")
    assert _gsc_written(source) == _gsc_expected(google.gsc, first, yesterday)


# --- Google Ads -----------------------------------------------------------------------------------

ADS_CAMPAIGNS = {"70001": ("Search — Marque", "utm_campaign=marque"), "70002": ("Search — Générique", "")}


def _ads_fill(ads: FakeGoogleAds, start: date, end: date) -> None:
    for day in _days(start, end):
        n = day.toordinal()
        ads.set_spend(
            CUSTOMER, day, "70001", "Search — Marque", 12_345_000 + n % 1000 * 1000, 20, 300, "utm_campaign=marque"
        )
        ads.set_spend(CUSTOMER, day, "70002", "Search — Générique", 1_005_000 * (1 + n % 3), 4, 90)


def _ads_expected(ads: FakeGoogleAds, start: date, end: date) -> dict[tuple[date, str], tuple[Decimal, int, int]]:
    return {
        (day, campaign): (money(micros), clicks, impressions)
        for (_c, day, campaign), (micros, clicks, impressions) in ads.spend.items()
        if start <= day <= end
    }


def _ads_written(source: Source) -> dict[tuple[date, str], tuple[Decimal, int, int]]:
    with tenant_context(source.client):
        platform = dict(
            PlatformCampaign.objects.filter(source=FactSource.GOOGLE_ADS).values_list("campaign_id", "external_id")
        )
        assert len(platform) == len(ADS_CAMPAIGNS)  # one Pouls campaign per platform campaign
        return {
            (s.date, platform[s.campaign_id]): (s.amount, s.clicks, s.impressions)
            for s in Spend.objects.filter(source=FactSource.GOOGLE_ADS)
        }


@pytest.fixture
def ads_source(committed, google):
    yield from _source(committed, google, SourceKind.GOOGLE_ADS, CUSTOMER, login_customer_id=MANAGER)


def test_google_ads_backfill_restated_day_429_refresh_and_revocation(google, worker, ads_source):
    source = ads_source
    google.ads.add_customer(MANAGER, "Agence MCC", manager=True, accessible=True)
    google.ads.add_customer(CUSTOMER, "Alpha — Ads", currency="EUR", parent=MANAGER)
    yesterday = source_yesterday(source, timezone.now())
    _ads_fill(google.ads, backfill_first_day(yesterday) - timedelta(days=20), yesterday + timedelta(days=1))

    first, yesterday = _backfilled(source, worker, "spend")
    assert _ads_written(source) == _ads_expected(google.ads, first, yesterday)
    with tenant_context(source.client):
        campaigns = {
            p.external_id: (p.campaign.channel.key, p.campaign.utm_campaign)
            for p in PlatformCampaign.objects.filter(source=FactSource.GOOGLE_ADS).select_related("campaign__channel")
        }
    assert campaigns == {"70001": ("paid_search", "marque"), "70002": ("paid_search", "")}
    calls = google.server.calls_to(STREAM)
    assert {c.headers["developer-token"] for c in calls} == {DEVELOPER_TOKEN}
    assert {c.headers["login-customer-id"] for c in calls} == {MANAGER}
    assert len(calls) == 1 + len(chunks(first, yesterday))  # the currency, then one stream per chunk

    restated = yesterday - timedelta(days=1)
    google.ads.set_spend(
        CUSTOMER, restated, "70001", "Search — Marque", 98_765_432_100, 321, 5432, "utm_campaign=marque"
    )
    google.ads.set_spend(CUSTOMER, restated, "70002", "Search — Générique", 0, 0, 0)  # refunded: gone
    google.server.queue(STREAM, [quota_exhausted(), Answer(503, {"error": {"code": 503, "status": "UNAVAILABLE"}})])
    result = sync_in_worker(source, worker)
    assert (result["outcome"], result["mode"]) == ("ok", "incremental")
    assert len(google.server.calls_to(STREAM)) == len(calls) + 4  # 429, 503, the currency, the 7 days
    written = _ads_written(source)
    assert written[(restated, "70001")] == (Decimal("98765.43"), 321, 5432)
    assert (restated, "70002") not in written
    assert written == _ads_expected(google.ads, first, yesterday)

    _token_refreshed_then_revoked(google, source, worker, "/v21/")
    assert _ads_written(source) == _ads_expected(google.ads, first, yesterday)
