"""The Meta Ads provider against the fake Graph API on loopback: paging, month-sized requests, exact
numbers, Meta's rate limits and token errors, the next-page links it follows, accounts and currency."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import httpx
import pytest
from django.utils import translation

from connectors.errors import GrantRefused, SourceRefused, Transient
from connectors.models import Provider, SourceKind
from connectors.providers import meta_ads, provider_for
from connectors.providers.rows import Account, SpendRow
from connectors.tests.platform_fixtures import Platform, platform_source, serving_platform
from tests.fakes.base import Answer
from tests.fakes.meta_api import FakeMetaGraph, graph_error

ACCOUNT = "act_1234567"
INSIGHTS = f"/v23.0/{ACCOUNT}/insights"


@pytest.fixture(autouse=True)
def _english():
    """The messages are matched in English (the suite's default language is French)."""
    with translation.override("en"):
        yield


@pytest.fixture
def meta(db, world, settings):
    source = platform_source(
        world, provider=Provider.META, kind=SourceKind.META_ADS, external_id=ACCOUNT, label="Agence Test"
    )
    with serving_platform(FakeMetaGraph, source, settings, POULS_META_GRAPH_URL="{base}/v23.0") as meta:
        meta.fake.add_account(ACCOUNT, "Alpha — Meta", currency="EUR")
        yield meta


def read(meta: Platform, start: date, end: date) -> list[SpendRow]:
    return list(meta_ads.rows(meta.session, meta.source, start, end))


def time_ranges(meta: Platform) -> list[tuple[date, date]]:
    """The time_range of each first page request (the next links carry theirs too)."""
    ranges = []
    for call in meta.server.calls_to(INSIGHTS):
        if "after" not in call.query:
            asked = json.loads(call.query["time_range"][0])
            ranges.append((date.fromisoformat(asked["since"]), date.fromisoformat(asked["until"])))
    return ranges


def test_the_provider_module_is_the_meta_ads_kind():
    assert provider_for("meta_ads") is meta_ads
    assert meta_ads.KIND == SourceKind.META_ADS


def test_every_cursor_page_is_read_in_order(meta, monkeypatch):
    monkeypatch.setattr(meta_ads, "PAGE_SIZE", 2)
    days = [date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)]
    for day in days:
        for campaign_id in ("111", "222", "333"):
            meta.fake.set_day(ACCOUNT, day, campaign_id, f"Campagne {campaign_id}", "1.00", 1, 10)

    got = read(meta, days[0], days[-1])

    assert [(r.date, r.campaign_id) for r in got] == [(d, c) for d in days for c in ("111", "222", "333")]
    calls = meta.server.calls_to(INSIGHTS)
    assert len(calls) == 5  # 9 rows, 2 a page
    first = calls[0].query
    assert first["level"] == ["campaign"] and first["time_increment"] == ["1"] and first["limit"] == ["2"]
    assert json.loads(first["time_range"][0]) == {"since": "2026-03-01", "until": "2026-03-03"}
    assert set(first["fields"][0].split(",")) == {
        "campaign_id",
        "campaign_name",
        "spend",
        "clicks",
        "impressions",
        "date_start",
    }
    # The next pages are Graph's own next links: each a new cursor, the same query otherwise.
    cursors = [c.query["after"][0] for c in calls[1:]]
    assert len(set(cursors)) == 4
    assert all(c.query["time_range"] == first["time_range"] for c in calls[1:])
    assert all(c.headers["authorization"] == f"Bearer {meta.token.access}" for c in calls)


def test_a_next_link_is_followed_without_the_access_token_it_carries(meta, monkeypatch):
    """Graph copies the request's access_token into paging.next; the header carries the current one."""
    monkeypatch.setattr(meta_ads, "PAGE_SIZE", 1)
    meta.fake.set_day(ACCOUNT, date(2026, 3, 1), "111", "A", "1", 1, 1)
    meta.fake.set_day(ACCOUNT, date(2026, 3, 2), "111", "A", "2", 1, 1)
    query = {
        "access_token": "stale",
        "level": "campaign",
        "time_increment": "1",
        "time_range": json.dumps({"since": "2026-03-01", "until": "2026-03-02"}),
        "fields": "campaign_id,spend,date_start",
        "limit": "1",
        "after": "b2Zmc2V0OjE",  # offset 1
    }
    meta.server.queue(
        INSIGHTS,
        [
            Answer(
                200,
                {
                    "data": [{"campaign_id": "111", "campaign_name": "A", "spend": "1", "date_start": "2026-03-01"}],
                    "paging": {"next": f"{meta.server.base_url}{INSIGHTS}?{urlencode(query)}"},
                },
            )
        ],
    )

    got = read(meta, date(2026, 3, 1), date(2026, 3, 1))

    assert [r.cost for r in got] == [Decimal("1.00"), Decimal("2.00")]
    second = meta.server.calls_to(INSIGHTS)[1]
    assert "access_token" not in second.query and second.query["after"] == ["b2Zmc2V0OjE"]


def test_a_long_range_is_read_a_month_at_a_time(meta):
    start, end = date(2025, 1, 1), date(2026, 1, 31)  # 13 months: 396 days
    meta.fake.fill(ACCOUNT, start, end, {"111": "Printemps", "222": "Soldes"})

    got = read(meta, start, end)

    ranges = time_ranges(meta)
    assert len(ranges) == 13
    assert ranges[0][0] == start and ranges[-1][1] == end
    assert all((until - since).days + 1 <= 31 for since, until in ranges)
    assert all(b[0] == a[1] + timedelta(days=1) for a, b in zip(ranges, ranges[1:], strict=False))  # no gap, no overlap
    assert len(got) == 396 * 2
    assert sum(r.cost for r in got) == meta.fake.spend_total(ACCOUNT, start, end)


def test_chunks_cover_the_range_in_at_most_31_days():
    assert list(meta_ads.chunks(date(2026, 1, 1), date(2026, 1, 1))) == [(date(2026, 1, 1), date(2026, 1, 1))]
    assert list(meta_ads.chunks(date(2026, 1, 1), date(2026, 2, 1))) == [
        (date(2026, 1, 1), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 1)),
    ]
    assert list(meta_ads.chunks(date(2026, 2, 1), date(2026, 1, 1))) == []


def test_spend_clicks_and_impressions_are_read_exactly(meta):
    day = date(2026, 2, 28)
    meta.fake.set_day(ACCOUNT, day, "120210000000000001", "Été — retargeting", "1234.5", 17, 123456789012)
    meta.fake.set_day(ACCOUNT, day, "120210000000000002", "Cents", "0.01", 0, 3)
    meta.fake.set_day(ACCOUNT, day, "120210000000000003", "Rounded", "10.005", 1, 2)

    got = read(meta, day, day)

    assert got == [
        SpendRow(day, "120210000000000001", "Été — retargeting", Decimal("1234.50"), 17, 123456789012),
        SpendRow(day, "120210000000000002", "Cents", Decimal("0.01"), 0, 3),
        SpendRow(day, "120210000000000003", "Rounded", Decimal("10.01"), 1, 2),
    ]
    assert all(r.utm_campaign == "" for r in got)


def test_a_metric_meta_leaves_out_is_zero_and_a_row_it_garbles_is_refused():
    row = meta_ads.spend_row({"campaign_id": "9", "campaign_name": "X", "spend": "3.2", "date_start": "2026-01-02"})
    assert (row.cost, row.clicks, row.impressions) == (Decimal("3.20"), 0, 0)
    with pytest.raises(SourceRefused):
        meta_ads.spend_row({"campaign_id": "9", "spend": "lots", "date_start": "2026-01-02"})
    with pytest.raises(SourceRefused):
        meta_ads.spend_row({"campaign_id": "9", "spend": "-1", "date_start": "2026-01-02"})
    with pytest.raises(SourceRefused):
        meta_ads.spend_row({"spend": "1", "date_start": "2026-01-02"})


def test_metas_rate_limit_code_17_with_a_400_is_retried(meta):
    day = date(2026, 3, 1)
    meta.fake.set_day(ACCOUNT, day, "111", "A", "5.00", 1, 1)
    meta.fake.throttle(ACCOUNT, times=2)

    got = read(meta, day, day)

    assert [r.cost for r in got] == [Decimal("5.00")]
    assert len(meta.server.calls_to(INSIGHTS)) == 3
    assert len(meta.sleeps) == 2
    assert meta.token.forced == 0


def test_an_http_429_is_retried(meta):
    day = date(2026, 3, 1)
    meta.fake.set_day(ACCOUNT, day, "111", "A", "5.00", 1, 1)
    meta.fake.throttle(ACCOUNT, times=1, http_429=True)

    assert [r.cost for r in read(meta, day, day)] == [Decimal("5.00")]
    assert len(meta.server.calls_to(INSIGHTS)) == 2 and len(meta.sleeps) == 1


def test_a_rate_limit_past_the_retries_is_transient(meta, settings):
    settings.POULS_CONNECTOR_RETRIES = 2
    meta.fake.throttle(ACCOUNT, times=5)

    with pytest.raises(Transient, match="User request limit reached"):
        read(meta, date(2026, 3, 1), date(2026, 3, 1))
    assert len(meta.server.calls_to(INSIGHTS)) == 3


def test_an_expired_token_is_refreshed_once(meta):
    day = date(2026, 3, 1)
    meta.fake.set_day(ACCOUNT, day, "111", "A", "5.00", 1, 1)
    meta.tokens.expire_all()

    assert [r.cost for r in read(meta, day, day)] == [Decimal("5.00")]
    assert meta.token.forced == 1


def test_a_token_still_refused_after_the_refresh_is_a_refused_grant(meta):
    meta.tokens.revoke_all()

    with pytest.raises(GrantRefused, match="Error validating access token"):
        read(meta, date(2026, 3, 1), date(2026, 3, 1))
    assert meta.token.forced == 1
    assert len(meta.server.calls_to(INSIGHTS)) == 2


def test_other_graph_errors_are_refused_as_they_are(meta):
    meta.server.queue(
        INSIGHTS, [Answer(400, graph_error("(#100) Invalid parameter", code=100, type_="OAuthException"))]
    )

    with pytest.raises(SourceRefused, match="Invalid parameter"):
        read(meta, date(2026, 3, 1), date(2026, 3, 1))
    assert meta.token.forced == 0 and meta.sleeps == []


@pytest.mark.parametrize(
    "next_url",
    [
        "http://127.0.0.2:9/v23.0/act_1234567/insights?after=abc",  # another host
        "{base}/v21/act_1234567/insights?after=abc",  # the same host, outside the Graph URL
        "{base}/v23.0.evil/act_1234567/insights?after=abc",  # a path that only starts like it
    ],
)
def test_a_next_link_outside_the_graph_url_is_refused(meta, settings, next_url):
    settings.POULS_GOOGLE_ADS_URL = f"{meta.server.base_url}/v21"  # allowed for Google Ads, not for Meta
    body = {"data": [], "paging": {"next": next_url.format(base=meta.server.base_url)}}
    meta.server.queue(INSIGHTS, [Answer(200, body)])

    with pytest.raises(SourceRefused, match="not under the configured Graph URL"):
        read(meta, date(2026, 3, 1), date(2026, 3, 1))
    assert len(meta.server.calls) == 1


def test_endless_pages_stop_with_a_clear_error(meta, monkeypatch):
    monkeypatch.setattr(meta_ads, "PAGE_SIZE", 1)
    monkeypatch.setattr(meta_ads, "MAX_INSIGHTS_PAGES", 3)
    for n in range(5):
        meta.fake.set_day(ACCOUNT, date(2026, 3, 1), str(n), "A", "1", 1, 1)

    with pytest.raises(SourceRefused, match="after 3"):
        read(meta, date(2026, 3, 1), date(2026, 3, 1))
    assert len(meta.server.calls_to(INSIGHTS)) == 3


def test_an_account_id_that_is_not_one_is_refused_before_any_request(meta):
    meta.source.external_id = "act_12/../me"
    with pytest.raises(SourceRefused, match="not a Meta ad account id"):
        read(meta, date(2026, 3, 1), date(2026, 3, 1))
    assert meta.server.calls == []
    assert meta_ads.account_path("1234567") == ACCOUNT


def test_the_ad_accounts_of_the_grant_every_page(meta, monkeypatch):
    monkeypatch.setattr(meta_ads, "PAGE_SIZE", 2)
    for n in range(1, 5):
        meta.fake.add_account(f"act_90{n}", f"Client {n}", currency="usd" if n == 2 else "EUR", account_status=n)

    got = meta_ads.accounts(meta.session, meta.source.connection)

    assert got == [Account(ACCOUNT, "Alpha — Meta", "EUR")] + [
        Account(f"act_90{n}", f"Client {n}", "USD" if n == 2 else "EUR") for n in range(1, 5)
    ]
    calls = meta.server.calls_to("/v23.0/me/adaccounts")
    assert len(calls) == 3
    assert set(calls[0].query["fields"][0].split(",")) == {"id", "name", "currency", "account_status"}


def test_the_ad_accounts_listing_is_bounded(meta, monkeypatch):
    monkeypatch.setattr(meta_ads, "PAGE_SIZE", 1)
    monkeypatch.setattr(meta_ads, "MAX_ACCOUNT_PAGES", 2)
    meta.fake.add_account("act_901", "Client 1")
    meta.fake.add_account("act_902", "Client 2")

    with pytest.raises(SourceRefused, match="after 2"):
        meta_ads.accounts(meta.session, meta.source.connection)


def test_the_currency_of_the_ad_account(meta):
    assert meta_ads.currency(meta.session, meta.source) == "EUR"
    call = meta.server.calls_to(f"/v23.0/{ACCOUNT}")[0]
    assert call.path == f"/v23.0/{ACCOUNT}"
    assert set(call.query["fields"][0].split(",")) == {"currency", "name", "account_status"}


def test_a_disabled_account_still_answers_its_currency(meta):
    meta.fake.add_account(ACCOUNT, "Alpha — Meta", currency="CHF", account_status=2)
    assert meta_ads.currency(meta.session, meta.source) == "CHF"


def test_an_account_meta_does_not_know_is_refused(meta):
    meta.source.external_id = "act_999"
    with pytest.raises(SourceRefused, match="does not exist"):
        meta_ads.currency(meta.session, meta.source)


def _graph_answer(status: int, code: int | None = None, **extra) -> httpx.Response:
    body = graph_error("boom", code=code, **extra) if code is not None else {"data": []}
    return httpx.Response(status, json=body)


@pytest.mark.parametrize(
    ("response", "verdict"),
    [
        (_graph_answer(200), None),
        (_graph_answer(400, 4), "throttled"),
        (_graph_answer(400, 17, subcode=2446079), "throttled"),
        (_graph_answer(400, 32), "throttled"),
        (_graph_answer(400, 613, subcode=1487742), "throttled"),
        (_graph_answer(400, 80000), "throttled"),
        (_graph_answer(400, 80014), "throttled"),
        (_graph_answer(400, 80015), None),
        (_graph_answer(400, 1, is_transient=True), "throttled"),
        (_graph_answer(400, 190, subcode=463), "unauthorized"),
        (_graph_answer(400, 102), "unauthorized"),
        (_graph_answer(400, 100, subcode=33), None),
        (_graph_answer(403, 10), None),
        (httpx.Response(400, text="<html>not json</html>"), None),
        (httpx.Response(400, json=["not", "an", "object"]), None),
    ],
)
def test_classify_reads_metas_error_codes(response, verdict):
    assert meta_ads.classify(response) == verdict
