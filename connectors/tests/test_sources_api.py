"""The sources API of a client (/c/<slug>/api/v1/sources/, platform-campaigns/): the rule's errors,
the managers-only access, tenant isolation, removal with and without data, remapping that re-reads."""

from datetime import date

import pytest
from django_tenants.utils import tenant_context

from campaigns.models import Campaign, FactCoverage, PlatformCampaign, Spend, Traffic
from connectors.errors import GrantRefused, NotConfigured
from connectors.models import Source
from connectors.tests.source_stub import connect, platform_fixture  # noqa: F401 (the platform fixture)
from kpis.models import DirtyDay

EN = {"django_language": "en"}
API = "/c/alpha/api/v1/sources/"


@pytest.fixture
def owner(http_as, world):
    client = http_as(world.owner)
    client.cookies.load(EN)
    return client


def _source(world, kind="ga4", external_id="properties/111", **fields) -> Source:
    grant = connect(world.agency, "meta" if kind == "meta_ads" else "google")
    return Source.objects.create(client=world.alpha, connection=grant, kind=kind, external_id=external_id, **fields)


def test_creating_a_source_normalises_its_id_and_sends_its_backfill(owner, world, platform):
    connect(world.agency)
    answer = owner.post(API, {"kind": "google_ads", "external_id": "123-456-7890"}, content_type="application/json")
    assert answer.status_code == 201, answer.content
    body = answer.json()
    assert (body["external_id"], body["status"]) == ("1234567890", "pending")
    assert "access_token" not in body and "refresh_token" not in body


def test_the_backfill_is_sent_once_committed(owner, world, platform, django_capture_on_commit_callbacks):
    connect(world.agency)
    with django_capture_on_commit_callbacks(execute=True):
        answer = owner.post(API, {"kind": "ga4", "external_id": "properties/9"}, content_type="application/json")
    assert platform.synced == [answer.json()["id"]]
    # a refused source sends nothing
    with django_capture_on_commit_callbacks(execute=True):
        owner.post(API, {"kind": "ga4", "external_id": "properties/8"}, content_type="application/json")
    assert platform.synced == [answer.json()["id"]]


def test_bad_input_is_a_400_with_the_rules_field_errors(owner, world, platform):
    answer = owner.post(API, {"kind": "ga4", "external_id": "9"}, content_type="application/json")
    assert answer.status_code == 400
    body = answer.json()
    assert "/connections/" in body["kind"][0]
    assert body["external_id"] == ["A GA4 property id reads properties/ followed by digits (properties/123456789)."]
    connect(world.agency)
    owner.post(API, {"kind": "ga4", "external_id": "properties/9"}, content_type="application/json")
    again = owner.post(API, {"kind": "ga4", "external_id": "properties/8"}, content_type="application/json")
    assert again.json() == {"kind": ["This client already has a Google Analytics 4 source: change or remove it."]}


def test_the_list_shows_health_and_never_a_token(owner, world, platform):
    source = _source(world, status="failing", last_error="Quota exceeded", last_rows_written=42)
    source.connection.access_token = "gAAAA-secret"
    source.connection.save()
    rows = owner.get(API).json()
    assert [(r["kind"], r["status"], r["last_error"], r["last_rows_written"]) for r in rows] == [
        ("ga4", "failing", "Quota exceeded", 42)
    ]
    assert "secret" not in owner.get(API).content.decode()


def test_other_agencies_and_client_roles_cannot_reach_the_sources(http_as, world, platform):
    source = _source(world)
    assert http_as(world.other_owner).get(API).status_code == 404
    assert http_as(world.other_owner).get(f"{API}{source.pk}/").status_code == 404
    assert http_as(world.viewer_alpha).get(API).status_code == 403
    assert http_as(world.sales_alpha).get(API).status_code == 403
    assert http_as(world.manager_alpha).get(API).status_code == 200
    # alpha's source is not beta's, even for the agency's owner
    assert http_as(world.owner).get(f"/c/beta/api/v1/sources/{source.pk}/").status_code == 404


def test_changing_the_account_restarts_the_backfill(owner, world, platform):
    source = _source(world, status="ok", first_day=date(2026, 1, 1), last_day=date(2026, 11, 30))
    answer = owner.patch(f"{API}{source.pk}/", {"external_id": "properties/222"}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    source.refresh_from_db()
    assert (source.external_id, source.status, source.first_day, source.last_day) == (
        "properties/222",
        "pending",
        None,
        None,
    )
    bad = owner.patch(f"{API}{source.pk}/", {"external_id": "222"}, content_type="application/json")
    assert bad.status_code == 400 and list(bad.json()) == ["external_id"]


def test_sync_now_answers_202(owner, world, platform, django_capture_on_commit_callbacks):
    source = _source(world)
    with django_capture_on_commit_callbacks(execute=True):
        assert owner.post(f"{API}{source.pk}/sync/").status_code == 202
    assert platform.synced == [source.pk]


def _synced_traffic(world) -> None:
    with tenant_context(world.alpha):
        Traffic.objects.create(date=date(2026, 11, 2), visits=10, source="import")
        Traffic.objects.create(date=date(2026, 11, 2), visits=30, source="ga4")
        FactCoverage.objects.create(
            source="ga4", fact="traffic", first_day=date(2026, 11, 1), last_day=date(2026, 11, 3)
        )
        DirtyDay.objects.all().delete()


def test_removing_a_source_keeps_its_data_by_default(owner, world, platform):
    source = _source(world)
    _synced_traffic(world)
    assert owner.delete(f"{API}{source.pk}/").status_code == 204
    assert not Source.objects.filter(pk=source.pk).exists()
    with tenant_context(world.alpha):
        assert sorted(Traffic.objects.values_list("source", flat=True)) == ["ga4", "import"]
        assert FactCoverage.objects.count() == 1


def test_removing_a_source_with_its_data_lets_imported_rows_count_again(owner, world, platform):
    source = _source(world)
    _synced_traffic(world)
    assert owner.delete(f"{API}{source.pk}/?keep_data=false").status_code == 204
    with tenant_context(world.alpha):
        assert list(Traffic.objects.values_list("source", flat=True)) == ["import"]
        assert not FactCoverage.objects.exists()
        dirty = set(DirtyDay.objects.filter(source="traffic").values_list("day", flat=True))
    assert dirty >= {date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)}


def test_remapping_a_platform_campaign_reads_the_source_again(owner, world, platform):
    days = {"first_day": date(2026, 1, 1), "last_day": date(2026, 11, 30)}
    source = _source(world, "google_ads", "1234567890", status="ok", **days)
    with tenant_context(world.alpha):
        brand = Campaign.objects.create(key="brand", name="Brand")
        generic = Campaign.objects.create(key="generic", name="Generic")
        row = PlatformCampaign.objects.create(source="google_ads", external_id="77", name="Brand", campaign=brand)
        Spend.objects.create(date=date(2026, 11, 2), campaign=brand, amount=5, source="google_ads")
        FactCoverage.objects.create(
            source="google_ads", fact="spend", first_day=date(2026, 11, 1), last_day=date(2026, 11, 2)
        )
        DirtyDay.objects.all().delete()
    url = f"/c/alpha/api/v1/platform-campaigns/{row.pk}/"
    assert owner.patch(url, {"campaign": "nope"}, content_type="application/json").json() == {
        "campaign": ["No campaign has this key."]
    }
    answer = owner.patch(url, {"campaign": "generic"}, content_type="application/json")
    assert answer.status_code == 200 and answer.json()["campaign"] == "generic"
    source.refresh_from_db()
    assert (source.first_day, source.last_day, source.status) == (None, None, "pending")
    with tenant_context(world.alpha):
        assert PlatformCampaign.objects.get().campaign_id == generic.pk
        assert set(DirtyDay.objects.filter(source="spend").values_list("day", flat=True)) == {
            date(2026, 11, 1),
            date(2026, 11, 2),
        }
    assert [r["campaign"] for r in owner.get("/c/alpha/api/v1/platform-campaigns/").json()] == ["generic"]


def test_the_accounts_are_listed_live_and_cached(owner, world, platform):
    connect(world.agency)
    url = f"{API}accounts/?kind=google_ads"
    assert [a["id"] for a in owner.get(url).json()] == ["1234567890"]
    owner.get(url)
    assert platform.listed == 1  # the second answer came from the cache
    assert owner.get(f"{API}accounts/?kind=meta_ads").status_code == 400  # meta is not connected


def test_a_refused_grant_lists_no_account_with_a_clear_message(owner, world, platform):
    connect(world.agency)
    platform.fail = GrantRefused("invalid_grant")
    answer = owner.get(f"{API}accounts/?kind=ga4")
    assert answer.status_code == 400
    assert "reconnects it at /connections/" in answer.json()["external_id"][0]


def test_a_platform_not_set_up_says_which_setting_is_missing(owner, world, platform):
    connect(world.agency)
    platform.fail = NotConfigured("Google Ads needs a developer token.")
    answer = owner.get(f"{API}accounts/?kind=google_ads")
    assert answer.json() == {
        "external_id": ["The accounts cannot be listed: Google Ads needs a developer token. Type the account id."]
    }
