"""The product's first promise: one client's people never see another client's data, nor learn
that it exists."""

import pytest
from django.core.cache import cache
from django_tenants.utils import tenant_context

from campaigns.models import Channel
from campaigns.services import channel_create
from tests.urls import tenant_paths

ALL_TENANT_PATHS = tenant_paths()


def _is_public_endpoint(path: str) -> bool:
    from django.urls import resolve

    return getattr(resolve("/" + path, urlconf="config.urls_tenants").func, "client_public_endpoint", False)


# Anonymous endpoints (tracking, capture, provider webhooks) answer whoever calls them by design; they
# are probed separately below for unknown clients.
TENANT_PATHS = [p for p in ALL_TENANT_PATHS if not _is_public_endpoint(p)]
PUBLIC_PATHS = [p for p in ALL_TENANT_PATHS if _is_public_endpoint(p)]


def test_the_probe_covers_pages_admin_and_api():
    assert "" in TENANT_PATHS
    assert "admin/campaigns/channel/" in TENANT_PATHS
    assert "api/v1/channels/" in TENANT_PATHS
    assert len(TENANT_PATHS) >= 15


@pytest.mark.parametrize("path", TENANT_PATHS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_a_user_of_client_a_gets_404_on_every_url_of_client_b(http_as, world, path, method):
    # given people who can enter alpha (and the other agency's owner), but not beta
    for user in (world.manager_alpha, world.viewer_alpha, world.sales_alpha, world.other_owner, world.outsider):
        # when they request any of beta's URLs
        response = getattr(http_as(user), method)(f"/c/beta/{path}")
        # then beta does not exist for them
        assert response.status_code == 404, (user, path, response.status_code)


@pytest.mark.parametrize("path", TENANT_PATHS)
def test_a_known_and_an_unknown_client_answer_alike(http_as, world, path):
    # given a signed-in outsider and an anonymous visitor
    signed_in, anonymous = http_as(world.outsider), http_as(None)
    # then a real client's URL and a made-up one answer the same way
    assert signed_in.get(f"/c/beta/{path}").status_code == signed_in.get(f"/c/no-such/{path}").status_code == 404
    real, fake = anonymous.get(f"/c/beta/{path}"), anonymous.get(f"/c/no-such/{path}")
    assert real.status_code == fake.status_code
    assert real.get("Location", "").replace("beta", "X") == fake.get("Location", "").replace("no-such", "X")


def test_the_probe_knows_the_public_endpoints():
    assert {p.split("/")[0] for p in PUBLIC_PATHS} >= {"track", "capture", "webhooks"}


@pytest.mark.parametrize("path", PUBLIC_PATHS)
@pytest.mark.parametrize("method", ["get", "post"])
def test_public_endpoints_of_an_unknown_or_inactive_client_are_404(http_as, world, path, method):
    from tenants.models import Client

    Client.objects.filter(pk=world.gamma.pk).update(is_active=False)
    for slug in ("no-such", "gamma"):
        assert getattr(http_as(None), method)(f"/c/{slug}/{path}").status_code == 404, (slug, path)


def test_anonymous_visitors_are_sent_to_the_one_login_page(http_as, world):
    response = http_as(None).get("/c/alpha/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/c/alpha/"


def test_the_agency_enters_all_its_clients_and_no_other(http_as, world):
    owner = http_as(world.owner)
    assert owner.get("/c/alpha/").status_code == 200
    assert owner.get("/c/beta/").status_code == 200
    assert owner.get("/c/gamma/").status_code == 404


def test_data_written_in_a_is_invisible_in_b(http_as, world):
    # given a channel added to alpha
    with tenant_context(world.alpha):
        channel_create(key="podcasts", name="Podcasts", is_paid=False)
        assert Channel.objects.filter(key="podcasts").exists()
    # then beta has no such channel, through the ORM or the API, even for the agency owner
    with tenant_context(world.beta):
        assert not Channel.objects.filter(key="podcasts").exists()
    owner = http_as(world.owner)
    beta_keys = {c["key"] for c in owner.get("/c/beta/api/v1/channels/?page_size=100").json()["results"]}
    alpha_keys = {c["key"] for c in owner.get("/c/alpha/api/v1/channels/").json()["results"]}
    assert "podcasts" in alpha_keys
    assert "podcasts" not in beta_keys
    assert owner.get("/c/beta/api/v1/channels/podcasts/").status_code == 404


def test_a_viewer_reads_but_cannot_write(http_as, world, in_alpha):
    viewer = http_as(world.viewer_alpha)
    before = Channel.objects.count()
    assert viewer.get("/c/alpha/").status_code == 200
    assert viewer.get("/c/alpha/api/v1/channels/").status_code == 200
    # when the viewer tries to write through the API, a page or the admin
    api = viewer.post("/c/alpha/api/v1/channels/", {"key": "tv", "name": "TV"}, content_type="application/json")
    page = viewer.post("/c/alpha/", {"anything": "1"})
    admin = viewer.post("/c/alpha/admin/campaigns/channel/add/", {"key": "tv", "name": "TV"})
    # then every write is refused and nothing changed
    assert (api.status_code, page.status_code, admin.status_code) == (403, 403, 403)
    assert Channel.objects.count() == before
    assert not Channel.objects.filter(key="tv").exists()


def test_sales_may_write_data_but_not_administer(http_as, world):
    sales = http_as(world.sales_alpha)
    created = sales.post("/c/alpha/api/v1/channels/", {"key": "tv", "name": "TV"}, content_type="application/json")
    assert created.status_code == 201
    assert sales.get("/c/alpha/admin/").status_code == 403


def test_managers_and_the_agency_use_the_client_admin(http_as, world):
    for user in (world.manager_alpha, world.owner, world.staff):
        client = http_as(user)
        assert client.get("/c/alpha/admin/").status_code == 200
        assert client.get("/c/alpha/admin/campaigns/channel/").status_code == 200
    # and the admin adds a channel in alpha only
    added = http_as(world.manager_alpha).post(
        "/c/alpha/admin/campaigns/channel/add/", {"key": "radio", "name": "Radio", "is_paid": "on"}
    )
    assert added.status_code == 302
    with tenant_context(world.alpha):
        assert Channel.objects.get(key="radio").is_paid is True
    with tenant_context(world.beta):
        assert not Channel.objects.filter(key="radio").exists()


def test_anonymous_api_calls_are_refused_alike_for_known_and_unknown_clients(http_as, world):
    anonymous = http_as(None)
    real = anonymous.get("/c/alpha/api/v1/channels/")
    fake = anonymous.get("/c/nope/api/v1/channels/")
    assert real.status_code == fake.status_code == 401
    assert real["WWW-Authenticate"] == fake["WWW-Authenticate"] == "Token"
    assert real.json() == fake.json()


def test_an_inactive_client_is_closed_even_to_its_agency(http_as, world):
    from tenants.models import Client

    Client.objects.filter(pk=world.beta.pk).update(is_active=False)
    assert http_as(world.owner).get("/c/beta/").status_code == 404


def test_cache_keys_are_scoped_to_the_client(db, world):
    with tenant_context(world.alpha):
        cache.set("headline", "alpha's number")
    with tenant_context(world.beta):
        assert cache.get("headline") is None
    with tenant_context(world.alpha):
        assert cache.get("headline") == "alpha's number"
