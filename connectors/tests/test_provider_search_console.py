"""The Search Console provider against the fake Search Analytics API on loopback: startRow paging in
windows of days, keywords normalised and summed, fresh data, the site in the path, refusals, accounts."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from connectors.errors import GrantRefused, SourceRefused
from connectors.models import Provider, SourceKind
from connectors.providers import provider_for, search_console
from connectors.providers.rows import Account, KeywordRow
from connectors.tests.platform_fixtures import Platform, platform_source, serving_platform
from tests.fakes.search_console import FakeSearchConsole, gsc_error

SITE = "sc-domain:alpha.fr"
QUERY = "/webmasters/v3/sites/sc-domain%3Aalpha.fr/searchAnalytics/query"
D1 = date(2026, 3, 1)


@pytest.fixture
def gsc(db, world, settings):
    source = platform_source(world, provider=Provider.GOOGLE, kind=SourceKind.SEARCH_CONSOLE, external_id=SITE)
    with serving_platform(FakeSearchConsole, source, settings, POULS_SEARCH_CONSOLE_URL="{base}") as gsc:
        gsc.fake.add_site(SITE)
        yield gsc


def read(gsc: Platform, start: date, end: date) -> list[KeywordRow]:
    return list(search_console.rows(gsc.session, gsc.source, start, end))


def test_the_provider_module_is_the_search_console_kind():
    assert provider_for("search_console") is search_console
    assert search_console.KIND == SourceKind.SEARCH_CONSOLE


def test_every_page_of_every_window_is_read(gsc, monkeypatch):
    monkeypatch.setattr(search_console, "PAGE_SIZE", 2)
    monkeypatch.setattr(search_console, "WINDOW_DAYS", 3)
    days = [D1 + timedelta(days=n) for n in range(5)]
    for n, day in enumerate(days):
        for q, query in enumerate(("agence web", "création site", "seo lille")):
            gsc.fake.set_query(SITE, day, query, clicks=n + q, impressions=10 * (n + q + 1))

    got = read(gsc, days[0], days[-1])

    assert got == [
        KeywordRow(day, query, n + q, 10 * (n + q + 1))
        for n, day in enumerate(days)
        for q, query in enumerate(("agence web", "création site", "seo lille"))
    ]
    calls = gsc.server.calls_to(QUERY)
    bodies = [c.json() for c in calls]
    # Window 1 (3 days, 9 rows): startRow 0, 2, 4, 6, 8 (short page); window 2 (2 days, 6 rows): 0, 2, 4, 6 (empty).
    assert [(b["startDate"], b["startRow"]) for b in bodies] == [
        ("2026-03-01", 0),
        ("2026-03-01", 2),
        ("2026-03-01", 4),
        ("2026-03-01", 6),
        ("2026-03-01", 8),
        ("2026-03-04", 0),
        ("2026-03-04", 2),
        ("2026-03-04", 4),
        ("2026-03-04", 6),
    ]
    assert {(b["startDate"], b["endDate"]) for b in bodies} == {
        ("2026-03-01", "2026-03-03"),
        ("2026-03-04", "2026-03-05"),
    }
    first = bodies[0]
    assert first["dimensions"] == ["date", "query"] and first["rowLimit"] == 2
    assert first["dataState"] == "all" and first["type"] == "web"


def test_keywords_are_trimmed_lowered_cut_and_summed(gsc):
    long_query = "vélo " * 80  # 400 characters
    gsc.fake.set_query(SITE, D1, "  Vélo Électrique ", 3, 30)
    gsc.fake.set_query(SITE, D1, "vélo électrique", 2, 20)
    gsc.fake.set_query(SITE, D1, long_query, 1, 5)

    got = read(gsc, D1, D1)

    cut = long_query[:300].strip()
    assert got == sorted([KeywordRow(D1, cut, 1, 5), KeywordRow(D1, "vélo électrique", 5, 50)], key=lambda r: r.keyword)
    assert len(cut) == 299  # cut at 300, then the trailing space trimmed
    assert all(r.keyword == r.keyword.strip().lower() and len(r.keyword) <= 300 for r in got)


def test_normalised_keyword():
    assert search_console.normalised_keyword("  SEO Lille\t") == "seo lille"
    assert search_console.normalised_keyword("a" * 299 + " b") == "a" * 299


def test_fresh_days_are_read_with_data_state_all(gsc):
    gsc.fake.set_query(SITE, D1, "agence web", 4, 40)
    gsc.fake.fresh.add(D1)
    assert read(gsc, D1, D1) == [KeywordRow(D1, "agence web", 4, 40)]


def test_a_url_prefix_site_is_encoded_as_one_path_segment(gsc):
    site = "https://www.alpha.fr/"
    gsc.fake.add_site(site)
    gsc.fake.set_query(site, D1, "alpha", 1, 2)
    gsc.source.external_id = site

    assert read(gsc, D1, D1) == [KeywordRow(D1, "alpha", 1, 2)]
    (call,) = gsc.server.calls
    assert call.path == "/webmasters/v3/sites/https%3A%2F%2Fwww.alpha.fr%2F/searchAnalytics/query"


def test_a_site_the_grant_cannot_read_is_refused(gsc):
    gsc.source.external_id = "sc-domain:beta.fr"
    with pytest.raises(SourceRefused) as refused:
        read(gsc, D1, D1)
    assert refused.value.status == 403 and "sufficient permission" in refused.value.message


def test_a_429_is_waited_out_and_tried_again(gsc):
    gsc.fake.set_query(SITE, D1, "agence web", 4, 40)
    gsc.server.queue(QUERY, [gsc_error(429, "rateLimitExceeded", "Quota exceeded for quota metric 'Queries'.")])

    assert read(gsc, D1, D1) == [KeywordRow(D1, "agence web", 4, 40)]
    assert len(gsc.server.calls_to(QUERY)) == 2 and len(gsc.sleeps) == 1


def test_an_expired_token_is_refreshed_once(gsc):
    gsc.fake.set_query(SITE, D1, "agence web", 4, 40)
    gsc.tokens.expire_all()
    assert read(gsc, D1, D1) == [KeywordRow(D1, "agence web", 4, 40)]
    assert gsc.token.forced == 1


def test_a_revoked_grant_is_refused(gsc):
    gsc.tokens.revoke_all()
    with pytest.raises(GrantRefused):
        read(gsc, D1, D1)


def test_a_window_past_max_pages_is_refused(gsc, monkeypatch):
    monkeypatch.setattr(search_console, "PAGE_SIZE", 1)
    monkeypatch.setattr(search_console, "MAX_PAGES", 2)
    for query in ("a", "b", "c"):
        gsc.fake.set_query(SITE, D1, query, 1, 1)
    with pytest.raises(SourceRefused):
        read(gsc, D1, D1)


def test_accounts_are_the_verified_sites(gsc):
    gsc.fake.add_site("https://www.alpha.fr/", "siteFullUser")
    gsc.fake.add_site("https://unverified.fr/", "siteUnverifiedUser")

    assert search_console.accounts(gsc.session, gsc.source.connection) == [
        Account(id="https://www.alpha.fr/", name="https://www.alpha.fr/"),
        Account(id=SITE, name=SITE),
    ]


def test_no_site_at_all_is_no_account(gsc):
    gsc.fake.sites.clear()
    assert search_console.accounts(gsc.session, gsc.source.connection) == []


def test_search_console_reports_no_currency(gsc):
    assert search_console.currency(gsc.session, gsc.source) == ""
