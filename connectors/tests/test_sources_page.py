"""The sources page (/c/<slug>/sources/): managers and agency people only, the connect hint, the
accounts listed live (or the id field when the platform fails), health, sync, removal and remap."""

from datetime import UTC, date, datetime

import pytest
from django_tenants.utils import tenant_context

from campaigns.models import Campaign, FactCoverage, PlatformCampaign
from connectors.errors import Transient
from connectors.models import Source
from connectors.tests.source_stub import connect, platform_fixture  # noqa: F401 (the platform fixture)

PAGE = "/c/alpha/sources/"


@pytest.fixture
def owner(http_as, world):
    client = http_as(world.owner)
    client.cookies.load({"django_language": "en"})
    return client


def test_only_managers_and_agency_people_see_the_page(http_as, world, platform):
    assert http_as(world.owner).get(PAGE).status_code == 200
    assert http_as(world.manager_alpha).get(PAGE).status_code == 200
    assert http_as(world.viewer_alpha).get(PAGE).status_code == 404
    assert http_as(world.sales_alpha).get(PAGE).status_code == 404
    assert http_as(world.other_owner).get(PAGE).status_code == 404
    assert 'data-testid="sources-link"' in http_as(world.owner).get("/c/alpha/reports/").content.decode()


def test_a_platform_not_connected_says_where_to_connect_it(owner, world, platform):
    connect(world.agency)  # Google only
    page = owner.get(PAGE).content.decode()
    assert "Ask an agency owner to connect Meta at" in page
    assert 'href="/connections/"' in page
    assert "Alpha site (properties/111)" in page  # GA4's accounts, listed live


def test_choosing_an_account_from_the_list_sends_the_backfill(
    owner, world, platform, django_capture_on_commit_callbacks
):
    connect(world.agency)
    with django_capture_on_commit_callbacks(execute=True):
        answer = owner.post(f"{PAGE}choose/google_ads/", {"account": "1234567890"})
    assert answer.status_code == 302
    source = Source.objects.get(client=world.alpha)
    assert (source.external_id, source.external_name, source.login_customer_id) == (
        "1234567890",
        "Alpha Ads",
        "9876543210",
    )
    assert platform.synced == [source.pk]


def test_a_bad_typed_id_answers_the_rules_words(owner, world, platform):
    connect(world.agency)
    answer = owner.post(f"{PAGE}choose/ga4/", {"external_id": "123"})
    assert answer.status_code == 400
    assert "A GA4 property id reads properties/ followed by digits" in answer.content.decode()
    assert not Source.objects.exists()


def test_when_the_platform_fails_the_id_can_be_typed(owner, world, platform):
    connect(world.agency)
    platform.fail = Transient("503")
    page = owner.get(PAGE).content.decode()
    assert "did not list the accounts just now" in page
    assert owner.post(f"{PAGE}choose/ga4/", {"external_id": "properties/42"}).status_code == 302
    assert Source.objects.get().external_id == "properties/42"


def test_health_sync_and_removal(owner, world, platform, django_capture_on_commit_callbacks):
    grant = connect(world.agency)
    source = Source.objects.create(
        client=world.alpha,
        connection=grant,
        kind="ga4",
        external_id="properties/111",
        status="failing",
        last_error="Quota exceeded for the property",
        last_rows_written=120,
        last_success_at=datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
    )
    with tenant_context(world.alpha):
        FactCoverage.objects.create(
            source="ga4", fact="traffic", first_day=date(2026, 11, 1), last_day=date(2026, 11, 30)
        )
    page = owner.get(PAGE).content.decode()
    assert "Quota exceeded for the property" in page and "Failing" in page
    assert "<dd>30</dd>" in page  # days covered
    assert "Dec. 1, 2026" in page  # the last success in the client's zone (Paris)
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(f"{PAGE}{source.pk}/sync/").status_code == 302
    assert platform.synced == [source.pk]
    assert owner.post(f"{PAGE}{source.pk}/remove/", {"keep_data": "no"}).status_code == 302
    assert not Source.objects.exists()
    with tenant_context(world.alpha):
        assert not FactCoverage.objects.exists()


def test_a_platform_campaign_is_remapped_from_the_page(owner, world, platform):
    grant = connect(world.agency)
    source = Source.objects.create(
        client=world.alpha, connection=grant, kind="google_ads", external_id="1234567890", first_day=date(2026, 1, 1)
    )
    with tenant_context(world.alpha):
        brand = Campaign.objects.create(key="brand", name="Brand")
        Campaign.objects.create(key="generic", name="Generic")
        row = PlatformCampaign.objects.create(
            source="google_ads", external_id="77", name="Search brand", campaign=brand
        )
    assert "Search brand" in owner.get(PAGE).content.decode()
    assert owner.post(f"{PAGE}platform-campaigns/{row.pk}/", {"campaign": "generic"}).status_code == 302
    with tenant_context(world.alpha):
        assert PlatformCampaign.objects.get().campaign.key == "generic"
    source.refresh_from_db()
    assert source.first_day is None


def test_the_client_admin_remaps_through_the_service_and_shows_coverage_read_only(owner, world, platform):
    grant = connect(world.agency)
    source = Source.objects.create(
        client=world.alpha, connection=grant, kind="meta_ads", external_id="act_1", first_day=date(2026, 1, 1)
    )
    with tenant_context(world.alpha):
        brand = Campaign.objects.create(key="brand", name="Brand")
        generic = Campaign.objects.create(key="generic", name="Generic")
        row = PlatformCampaign.objects.create(source="meta_ads", external_id="9", name="Retargeting", campaign=brand)
        FactCoverage.objects.create(
            source="meta_ads", fact="spend", first_day=date(2026, 11, 1), last_day=date(2026, 11, 2)
        )
    admin = "/c/alpha/admin/campaigns/"
    assert owner.get(f"{admin}platformcampaign/").status_code == 200
    answer = owner.post(f"{admin}platformcampaign/{row.pk}/change/", {"campaign": generic.pk})
    assert answer.status_code == 302, answer.content.decode()[:2000]
    source.refresh_from_db()
    assert source.first_day is None  # read again, as from the page
    assert owner.get(f"{admin}factcoverage/").status_code == 200
    assert owner.post(f"{admin}factcoverage/add/", {}).status_code == 403
