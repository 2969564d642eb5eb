"""The GA4 provider against the fake Data and Admin APIs on loopback: offset paging to rowCount, the
channel mapping, sessions summed where groups share a channel, retries, token refresh, refusals, accounts."""

from __future__ import annotations

from datetime import date

import pytest

from campaigns.channels import BUILTIN_CHANNELS
from connectors.errors import GrantRefused, SourceRefused
from connectors.models import Provider, SourceKind
from connectors.providers import ga4, provider_for
from connectors.providers.rows import Account, TrafficRow
from connectors.tests.platform_fixtures import Platform, platform_source, serving_platform
from tests.fakes.base import Call
from tests.fakes.ga4 import FakeGa4, google_error

PROPERTY = "properties/4242"
REPORT = f"/v1beta/{PROPERTY}:runReport"
D1, D2, D3 = date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3)

# Every GA4 default channel group (https://support.google.com/analytics/answer/9756891) and what Pouls makes of it.
EXPECTED_CHANNELS = {
    "Affiliates": "affiliates",
    "Audio": "paid_other",
    "Cross-network": "paid_other",
    "Direct": "direct",
    "Display": "display",
    "Email": "email",
    "Mobile Push Notifications": "unassigned",
    "Organic Search": "organic_search",
    "Organic Shopping": "organic_shopping",
    "Organic Social": "organic_social",
    "Organic Video": "organic_video",
    "Paid Other": "paid_other",
    "Paid Search": "paid_search",
    "Paid Shopping": "paid_shopping",
    "Paid Social": "paid_social",
    "Paid Video": "paid_video",
    "Referral": "referral",
    "SMS": "sms",
    "Unassigned": "unassigned",
    "(other)": "unassigned",
    "A group Google adds next year": "unassigned",
}


@pytest.fixture
def ga(db, world, settings):
    source = platform_source(world, provider=Provider.GOOGLE, kind=SourceKind.GA4, external_id=PROPERTY)
    urls = {"POULS_GA4_DATA_URL": "{base}", "POULS_GA4_ADMIN_URL": "{base}"}
    with serving_platform(FakeGa4, source, settings, **urls) as ga:
        ga.fake.add_property(PROPERTY, "alpha.fr")
        yield ga


def read(ga: Platform, start: date = D1, end: date = D3) -> list[TrafficRow]:
    return list(ga4.rows(ga.session, ga.source, start, end))


def test_the_provider_module_is_the_ga4_kind():
    assert provider_for("ga4") is ga4
    assert ga4.KIND == SourceKind.GA4


@pytest.mark.parametrize(("group", "key"), EXPECTED_CHANNELS.items())
def test_every_default_channel_group_maps_onto_a_pouls_channel(group, key):
    assert ga4.channel_key(group) == key
    assert key in BUILTIN_CHANNELS


def test_the_table_names_only_builtin_channels_and_every_group_is_tested():
    assert set(ga4.GA4_CHANNELS.values()) <= set(BUILTIN_CHANNELS)
    assert set(ga4.GA4_CHANNELS) == {g.lower() for g in EXPECTED_CHANNELS} - {
        "(other)",
        "a group google adds next year",
    }


def test_every_page_is_read_up_to_row_count(ga, monkeypatch):
    monkeypatch.setattr(ga4, "PAGE_SIZE", 2)
    ga.fake.set_sessions(PROPERTY, D1, "Organic Search", "/", 40)
    ga.fake.set_sessions(PROPERTY, D1, "Paid Search", "/offre-ete", 12)
    ga.fake.set_sessions(PROPERTY, D2, "Direct", "/", 7)
    ga.fake.set_sessions(PROPERTY, D2, "Email", "/newsletter", 3)
    ga.fake.set_sessions(PROPERTY, D3, "Referral", "(not set)", 1)

    got = read(ga)

    assert sorted(got, key=lambda r: (r.date, r.channel_key)) == [
        TrafficRow(D1, "organic_search", "/", 40),
        TrafficRow(D1, "paid_search", "/offre-ete", 12),
        TrafficRow(D2, "direct", "/", 7),
        TrafficRow(D2, "email", "/newsletter", 3),
        TrafficRow(D3, "referral", "(not set)", 1),
    ]
    calls = ga.server.calls_to(REPORT)
    assert [c.json()["offset"] for c in calls] == ["0", "2", "4"]  # 5 rows, 2 a page, stops at rowCount
    first = calls[0].json()
    assert first["limit"] == "2" and first["keepEmptyRows"] is False
    assert first["dateRanges"] == [{"startDate": "2026-03-01", "endDate": "2026-03-03"}]
    assert [d["name"] for d in first["dimensions"]] == ["date", "sessionDefaultChannelGroup", "landingPage"]
    assert first["metrics"] == [{"name": "sessions"}]
    assert all(c.headers["authorization"] == f"Bearer {ga.token.access}" for c in calls)


def test_groups_falling_on_one_channel_are_summed_across_pages(ga, monkeypatch):
    """Audio, Cross-network and Paid Other are all paid_other; Unassigned and (other) are unassigned: one
    row each per day and landing page, even when the groups arrive on different pages."""
    monkeypatch.setattr(ga4, "PAGE_SIZE", 1)
    ga.fake.set_sessions(PROPERTY, D1, "Audio", "/", 2)
    ga.fake.set_sessions(PROPERTY, D1, "Cross-network", "/", 5)
    ga.fake.set_sessions(PROPERTY, D1, "Paid Other", "/", 1)
    ga.fake.set_sessions(PROPERTY, D1, "Unassigned", "/", 4)
    ga.fake.set_sessions(PROPERTY, D1, "(other)", "/", 6)
    ga.fake.set_sessions(PROPERTY, D2, "Audio", "/", 9)

    got = read(ga)

    assert sorted(got, key=lambda r: (r.date, r.channel_key)) == [
        TrafficRow(D1, "paid_other", "/", 8),
        TrafficRow(D1, "unassigned", "/", 10),
        TrafficRow(D2, "paid_other", "/", 9),
    ]
    assert len(ga.server.calls_to(REPORT)) == 6


def test_an_empty_report_is_one_call_and_no_rows(ga):
    assert read(ga) == []
    assert len(ga.server.calls_to(REPORT)) == 1


def test_a_report_past_max_pages_is_refused(ga, monkeypatch):
    monkeypatch.setattr(ga4, "PAGE_SIZE", 1)
    monkeypatch.setattr(ga4, "MAX_PAGES", 2)
    for day in (D1, D2, D3):
        ga.fake.set_sessions(PROPERTY, day, "Direct", "/", 1)
    with pytest.raises(SourceRefused):
        read(ga)


def test_a_429_is_waited_out_and_tried_again(ga):
    ga.fake.set_sessions(PROPERTY, D1, "Direct", "/", 3)
    ga.server.queue(REPORT, [google_error(429, "RESOURCE_EXHAUSTED", "Exhausted property tokens per hour.")])

    assert read(ga) == [TrafficRow(D1, "direct", "/", 3)]
    assert len(ga.server.calls_to(REPORT)) == 2
    assert len(ga.sleeps) == 1


def test_an_expired_token_is_refreshed_once(ga):
    ga.fake.set_sessions(PROPERTY, D1, "Direct", "/", 3)
    ga.tokens.expire_all()

    assert read(ga) == [TrafficRow(D1, "direct", "/", 3)]
    assert ga.token.forced == 1
    unauthorized, accepted = ga.server.calls_to(REPORT)
    assert unauthorized.headers["authorization"] != accepted.headers["authorization"]


def test_a_revoked_grant_is_refused(ga):
    ga.tokens.revoke_all()
    with pytest.raises(GrantRefused):
        read(ga)
    assert ga.token.forced == 1


def test_a_property_the_grant_cannot_read_is_refused(ga):
    ga.source.external_id = "properties/999"
    with pytest.raises(SourceRefused) as refused:
        read(ga)
    assert refused.value.status == 403
    assert "sufficient permissions" in refused.value.message


def test_a_malformed_property_id_is_refused_without_a_call(ga):
    ga.source.external_id = "properties/../admin"
    with pytest.raises(SourceRefused):
        read(ga)
    assert ga.server.calls == []


def test_a_period_ending_before_it_starts_is_a_bug(ga):
    with pytest.raises(ValueError):
        read(ga, D3, D1)


def test_accounts_are_the_properties_of_every_summary_page(ga, monkeypatch):
    monkeypatch.setattr(ga4, "ADMIN_PAGE_SIZE", 1)
    ga.fake.add_property("properties/5000", "beta.fr", account="accounts/2", account_name="Beta")

    got = ga4.accounts(ga.session, ga.source.connection)

    assert got == [
        Account(id=PROPERTY, name="alpha.fr (Agence)"),
        Account(id="properties/5000", name="beta.fr (Beta)"),
    ]
    calls = ga.server.calls_to("/v1beta/accountSummaries")
    assert len(calls) == 2
    assert "pageToken" not in calls[0].query and calls[1].query["pageToken"] == ["page-1"]


def test_ga4_reports_no_currency(ga):
    assert ga4.currency(ga.session, ga.source) == ""
    assert ga.server.calls == []


def test_the_fake_answers_a_bad_token_in_googles_format(ga):
    answer = ga.server.answer(Call("POST", REPORT, {}, {"authorization": "Bearer nope"}, b"{}"))
    assert answer.status == 401
    assert answer.body["error"]["status"] == "UNAUTHENTICATED" and answer.body["error"]["code"] == 401


def test_the_report_is_read_day_after_day(ga):
    """The provider sums one day at a time, so it asks for the report ordered by day (the fake's default
    order is by sessions, as GA4's)."""
    ga.fake.set_sessions(PROPERTY, D2, "Direct", "/", 100)
    ga.fake.set_sessions(PROPERTY, D1, "Direct", "/", 1)
    ga.fake.set_sessions(PROPERTY, D1, "Direct", "/b", 50)
    assert [r.date for r in read(ga)] == [D1, D1, D2]
