"""The Google Ads provider against the fake REST API on loopback: the streamed batches, micros to money,
the developer-token and login-customer-id headers, refusals, retries, token refresh, currency, accounts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from connectors.errors import GrantRefused, NotConfigured, SourceRefused
from connectors.models import Provider, SourceKind
from connectors.providers import google_ads, provider_for
from connectors.providers.rows import Account, SpendRow
from connectors.tests.platform_fixtures import Platform, platform_source, serving_platform
from tests.fakes.google_ads import FakeGoogleAds, quota_exhausted

MANAGER = "1111111111"
CLIENT = "2222222222"
STREAM = f"/v21/customers/{CLIENT}/googleAds:searchStream"
D1, D2 = date(2026, 3, 1), date(2026, 3, 2)


@pytest.fixture
def ads(db, world, settings):
    source = platform_source(
        world, provider=Provider.GOOGLE, kind=SourceKind.GOOGLE_ADS, external_id=CLIENT, login_customer_id=MANAGER
    )
    settings.POULS_GOOGLE_ADS_DEVELOPER_TOKEN = "dev-token-123"
    with serving_platform(
        lambda tokens: FakeGoogleAds(tokens, developer_token="dev-token-123"),
        source,
        settings,
        POULS_GOOGLE_ADS_URL="{base}/v21",
    ) as ads:
        ads.fake.add_customer(MANAGER, "Agence MCC", manager=True, accessible=True)
        ads.fake.add_customer(CLIENT, "Alpha — Ads", currency="EUR", parent=MANAGER)
        yield ads


def read(ads: Platform, start: date = D1, end: date = D2) -> list[SpendRow]:
    return list(google_ads.rows(ads.session, ads.source, start, end))


def test_the_provider_module_is_the_google_ads_kind():
    assert provider_for("google_ads") is google_ads
    assert google_ads.KIND == SourceKind.GOOGLE_ADS


@pytest.mark.parametrize(
    ("micros", "amount"),
    [
        (0, "0.00"),
        (1_000_000, "1.00"),
        (1_234_567, "1.23"),
        (1_005_000, "1.01"),  # half a cent goes up (half even would say 1.00)
        (2_015_000, "2.02"),
        (1_004_999, "1.00"),
        ("987654321000", "987654.32"),  # int64 as a JSON string
    ],
)
def test_micros_become_money_with_cents_rounded_half_up(micros, amount):
    assert google_ads.money(micros) == Decimal(amount)


def test_every_batch_of_the_stream_is_read(ads):
    ads.fake.batch_size = 2
    ads.fake.set_spend(CLIENT, D1, "901", "Search — Marque", 12_345_000, 30, 400)
    ads.fake.set_spend(CLIENT, D1, "902", "Search — Générique", 1_005_000, 2, 50)
    ads.fake.set_spend(CLIENT, D2, "901", "Search — Marque", 7_000_000, 10, 200)
    ads.fake.set_spend(CLIENT, D2, "903", "PMax", 0, 0, 12)

    got = read(ads)

    assert got == [
        SpendRow(D1, "901", "Search — Marque", Decimal("12.35"), 30, 400),
        SpendRow(D1, "902", "Search — Générique", Decimal("1.01"), 2, 50),
        SpendRow(D2, "901", "Search — Marque", Decimal("7.00"), 10, 200),
        SpendRow(D2, "903", "PMax", Decimal("0.00"), 0, 12),
    ]
    (call,) = ads.server.calls_to(STREAM)
    query = call.json()["query"]
    assert "FROM campaign" in query and "segments.date BETWEEN '2026-03-01' AND '2026-03-02'" in query
    assert "metrics.cost_micros" in query


def test_the_developer_token_and_the_manager_go_in_the_headers(ads):
    ads.fake.set_spend(CLIENT, D1, "901", "Search", 1_000_000, 1, 1)
    read(ads)
    (call,) = ads.server.calls_to(STREAM)
    assert call.headers["developer-token"] == "dev-token-123"
    assert call.headers["login-customer-id"] == MANAGER
    assert call.headers["authorization"] == f"Bearer {ads.token.access}"


def test_a_client_reached_without_its_manager_is_refused(ads):
    ads.source.login_customer_id = ""
    with pytest.raises(SourceRefused) as refused:
        read(ads)
    assert refused.value.status == 403
    assert "permission" in refused.value.message
    assert "login-customer-id" not in ads.server.calls_to(STREAM)[0].headers


def test_a_manager_the_client_is_not_under_is_refused(ads):
    ads.fake.add_customer("3333333333", "Autre MCC", manager=True, accessible=True)
    ads.source.login_customer_id = "3333333333"
    with pytest.raises(SourceRefused):
        read(ads)


def test_without_a_developer_token_nothing_is_sent(ads, settings):
    settings.POULS_GOOGLE_ADS_DEVELOPER_TOKEN = ""
    with pytest.raises(NotConfigured):
        read(ads)
    with pytest.raises(NotConfigured):
        google_ads.accounts(ads.session, ads.source.connection)
    assert ads.server.calls == []


def test_a_malformed_customer_id_is_refused_without_a_call(ads):
    ads.source.external_id = "12/../34"
    with pytest.raises(SourceRefused):
        read(ads)
    assert ads.server.calls == []


def test_dashes_in_a_customer_id_are_dropped():
    assert google_ads.customer_id("222-222-2222") == CLIENT


def test_the_utm_campaign_comes_from_a_plain_final_url_suffix(ads):
    ads.fake.set_spend(
        CLIENT, D1, "901", "Été", 1_000_000, 1, 1, final_url_suffix="utm_source=google&utm_campaign=ete-2026"
    )
    ads.fake.set_spend(CLIENT, D1, "902", "Template", 1_000_000, 1, 1, final_url_suffix="utm_campaign={_campaign}")
    assert [r.utm_campaign for r in read(ads, D1, D1)] == ["ete-2026", ""]


def test_resource_exhausted_is_waited_out_and_tried_again(ads):
    ads.fake.set_spend(CLIENT, D1, "901", "Search", 2_500_000, 1, 1)
    ads.server.queue(STREAM, [quota_exhausted()])

    assert read(ads, D1, D1) == [SpendRow(D1, "901", "Search", Decimal("2.50"), 1, 1)]
    assert len(ads.server.calls_to(STREAM)) == 2 and len(ads.sleeps) == 1


def test_an_expired_token_is_refreshed_once(ads):
    ads.fake.set_spend(CLIENT, D1, "901", "Search", 2_500_000, 1, 1)
    ads.tokens.expire_all()
    assert len(read(ads, D1, D1)) == 1
    assert ads.token.forced == 1


def test_a_revoked_grant_is_refused(ads):
    ads.tokens.revoke_all()
    with pytest.raises(GrantRefused):
        read(ads)


def test_currency_is_the_customers(ads):
    ads.fake.customers[CLIENT].currency = "CAD"
    assert google_ads.currency(ads.session, ads.source) == "CAD"
    (call,) = ads.server.calls_to(STREAM)
    assert call.json()["query"] == "SELECT customer.currency_code FROM customer"
    assert call.headers["login-customer-id"] == MANAGER


def test_accounts_are_direct_customers_and_the_managers_clients(ads):
    ads.fake.add_customer("4444444444", "Client direct", currency="USD", accessible=True)
    ads.fake.add_customer("5555555555", "Beta — Ads", parent=MANAGER)
    ads.fake.add_customer("6666666666", "Sous-MCC", manager=True, parent=MANAGER)
    ads.fake.add_customer("7777777777", "Sous-client", parent="6666666666")  # level 2: not listed
    ads.fake.accessible.add("8888888888")  # listed but unreadable (cancelled): skipped

    got = google_ads.accounts(ads.session, ads.source.connection)

    assert sorted(got, key=lambda a: a.id) == [
        Account(id=CLIENT, name="Alpha — Ads", currency="EUR", manager_id=MANAGER),
        Account(id="4444444444", name="Client direct", currency="USD", manager_id=""),
        Account(id="5555555555", name="Beta — Ads", currency="EUR", manager_id=MANAGER),
    ]
    (listing,) = ads.server.calls_to("/v21/customers:listAccessibleCustomers")
    assert listing.headers["developer-token"] == "dev-token-123" and "login-customer-id" not in listing.headers
    (clients,) = [
        c for c in ads.server.calls_to(f"/v21/customers/{MANAGER}/") if "customer_client" in c.json()["query"]
    ]
    assert clients.headers["login-customer-id"] == MANAGER
    assert "customer_client.level <= 1" in clients.json()["query"]


def test_only_the_first_accessible_customers_are_looked_into(ads, monkeypatch):
    monkeypatch.setattr(google_ads, "MAX_ACCESSIBLE", 1)
    ads.fake.add_customer("0000000001", "Premier", accessible=True)  # sorts before the manager
    got = google_ads.accounts(ads.session, ads.source.connection)
    assert got == [Account(id="0000000001", name="Premier", currency="EUR")]
