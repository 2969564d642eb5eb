"""The product's first promise: one client's people never see another client's data, nor learn
that it exists."""

import re

import pytest
from django.core.cache import cache
from django.urls import URLPattern, URLResolver, get_resolver
from django_tenants.utils import tenant_context

from campaigns.models import Channel
from campaigns.services import channel_create
from tenants.models import Client, Membership
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


# --- public-schema routes that name a client (issue 13) ------------------------------------------------
# The client account's pages and API live outside its schema (/clients/<slug>/…, /api/v1/clients/<slug>/…);
# they keep the same promise: whoever may not manage beta cannot tell it from a client that does not exist.

_ROUTE_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")
# What each parameter of a client's route stands for; a new kind of parameter must be added here on purpose.
_CLIENT_ROUTE_PARAMS = {"slug": "{slug}", "pk": "{member}"}


def _public_routes(patterns, prefix: str = ""):
    for entry in patterns:
        here = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _public_routes(entry.url_patterns, here)
        elif isinstance(entry, URLPattern):
            yield here


def client_routes() -> list[str]:
    """Every public route with a client ``slug`` parameter, as a template: ``{slug}`` is the client's slug,
    ``{member}`` the id of one of its memberships (the only other parameter those routes take today)."""
    templates = set()
    for route in _public_routes(get_resolver("config.urls_public").url_patterns):
        names = [m["name"] for m in _ROUTE_PARAM.finditer(route)]
        if "slug" not in names:
            continue
        assert set(names) <= set(_CLIENT_ROUTE_PARAMS), f"teach the probe the parameters of {route}"
        templates.add(_ROUTE_PARAM.sub(lambda m: _CLIENT_ROUTE_PARAMS[m["name"]], route))
    return sorted(templates)


# Routes that name the client in their query string rather than their path.
CLIENT_ROUTES = [*client_routes(), "people/?client={slug}"]
ROUTES_WITHOUT_CLIENT = {"people/?client={slug}": "people/"}
UNABLE_TO_MANAGE_BETA = ("manager_alpha", "viewer_alpha", "sales_alpha", "other_owner", "outsider")


def _viewer_beta_membership(world) -> int:
    return Membership.objects.get(user=world.viewer_beta, client=world.beta).pk


def _probe(http, method: str, template: str, slug: str, member: int):
    path = "/" + template.format(slug=slug, member=member)
    return getattr(http, method)(path, {}, content_type="application/json") if method != "get" else http.get(path)


def test_the_probe_covers_the_client_account_routes():
    assert set(CLIENT_ROUTES) >= {
        "api/v1/clients/{slug}/",
        "api/v1/clients/{slug}/archive/",
        "api/v1/clients/{slug}/restore/",
        "api/v1/clients/{slug}/members/",
        "api/v1/clients/{slug}/members/{member}/",
        "clients/{slug}/settings/",
        "clients/{slug}/archive/",
        "clients/{slug}/restore/",
        "people/?client={slug}",
    }
    # routes naming something else by a slug are not clients' (API tokens, sign-up and invitation links)
    assert not any("tokens" in route or "invitations" in route or "signup" in route for route in CLIENT_ROUTES)


def test_the_probe_reaches_beta_for_its_agency(http_as, world):
    # the positive control: the same requests, by someone who may manage beta, find it
    owner = http_as(world.owner)
    member = _viewer_beta_membership(world)
    assert _probe(owner, "get", "api/v1/clients/{slug}/", "beta", member).json()["slug"] == "beta"
    assert _probe(owner, "get", "api/v1/clients/{slug}/members/", "beta", member).status_code == 200
    assert _probe(owner, "get", "clients/{slug}/settings/", "beta", member).status_code == 200
    assert _probe(owner, "get", "api/v1/clients/{slug}/", "no-such", member).status_code == 404


_CSRF_TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="[^"]*"')


def _body(response, slug: str) -> bytes:
    """The page or JSON with the client's slug blanked, and the CSRF token (masked afresh each time) too."""
    return _CSRF_TOKEN.sub(b"csrf", response.content).replace(slug.encode(), b"X")


def _refusals(http, template: str, method: str) -> set[int]:
    """The answers that say nothing about beta: 404, 405 (a method the route has for no one), and 403 only
    where the caller's role is refused the route before any client is looked up (the people page for a
    viewer: the same 403 with no client named at all)."""
    without_client = ROUTES_WITHOUT_CLIENT.get(template)
    role_refused = without_client is not None and getattr(http, method)("/" + without_client).status_code == 403
    return {404, 405, 403} if role_refused else {404, 405}


@pytest.mark.parametrize("template", CLIENT_ROUTES)
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_beta_answers_like_a_made_up_client_to_those_who_cannot_manage_it(http_as, world, template, method):
    member = _viewer_beta_membership(world)
    for name in UNABLE_TO_MANAGE_BETA:
        http = http_as(getattr(world, name))
        # when they call one of beta's routes, and the same route for a client that does not exist
        real, fake = _probe(http, method, template, "beta", member), _probe(http, method, template, "no-such", member)
        # then both answer alike: not found, or a method the route has for no one
        assert real.status_code == fake.status_code, (name, template, method, real.status_code, fake.status_code)
        assert real.status_code in _refusals(http, template, method), (name, template, method, real.status_code)
        assert _body(real, "beta") == _body(fake, "no-such"), (name, template)
    if method == "get" and _probe(http_as(world.owner), "get", template, "beta", member).status_code != 405:
        # a route beta's agency reads: no one else learns more than "not found"
        for name in UNABLE_TO_MANAGE_BETA:
            answer = _probe(http_as(getattr(world, name)), "get", template, "beta", member).status_code
            assert answer in (404, 403 if template in ROUTES_WITHOUT_CLIENT else 404), (name, template, answer)
    assert Membership.objects.filter(pk=member).exists()
    beta = Client.objects.get(pk=world.beta.pk)  # nothing they sent changed beta
    assert (beta.is_active, beta.name) == (True, "Beta SARL")


@pytest.mark.parametrize("template", CLIENT_ROUTES)
@pytest.mark.parametrize("method", ["get", "post", "patch", "delete"])
def test_anonymous_visitors_cannot_tell_beta_from_a_made_up_client(http_as, world, template, method):
    anonymous = http_as(None)
    member = _viewer_beta_membership(world)
    real, fake = (
        _probe(anonymous, method, template, "beta", member),
        _probe(anonymous, method, template, "no-such", member),
    )
    assert real.status_code == fake.status_code, (template, method, real.status_code, fake.status_code)
    assert real.get("Location", "").replace("beta", "X") == fake.get("Location", "").replace("no-such", "X")
    assert _body(real, "beta") == _body(fake, "no-such"), (template, method)


@pytest.fixture
def invitation_to_beta(world):
    from accounts.invitations import invitation_send

    return invitation_send(by=world.owner, email="newcomer@beta.test", role="viewer", client=world.beta)


def test_an_invitation_to_beta_does_not_exist_for_those_who_cannot_manage_it(http_as, world, invitation_to_beta):
    made_up = invitation_to_beta.pk + 1000
    for user in (world.manager_alpha, world.other_owner):
        http = http_as(user)
        for method, route in (("delete", "/api/v1/invitations/{}/"), ("post", "/api/v1/invitations/{}/resend/")):
            real = getattr(http, method)(route.format(invitation_to_beta.pk), content_type="application/json")
            fake = getattr(http, method)(route.format(made_up), content_type="application/json")
            assert real.status_code == fake.status_code == 404, (user, route, real.status_code, fake.status_code)
            assert real.json() == fake.json()
    listed = http_as(world.other_owner).get("/api/v1/invitations/?page_size=200").json()
    assert invitation_to_beta.pk not in {i["id"] for i in listed["results"]}
    # and the invitation is still open: nothing happened to it
    invitation_to_beta.refresh_from_db()
    assert invitation_to_beta.revoked_at is None
    # the positive control: beta's agency sees it
    owners = http_as(world.owner).get("/api/v1/invitations/?page_size=200").json()
    assert invitation_to_beta.pk in {i["id"] for i in owners["results"]}


def test_the_other_agencys_audit_log_shows_nothing_of_ours(http_as, world, invitation_to_beta):
    ours = http_as(world.owner).get("/api/v1/audit/?page_size=200").json()["results"]
    assert any(e["target"] == "newcomer@beta.test" and e["client"] == "beta" for e in ours)  # something to leak
    theirs = http_as(world.other_owner).get("/api/v1/audit/?page_size=200")
    assert theirs.status_code == 200
    events = theirs.json()["results"]
    assert not [e for e in events if e["agency"] == world.agency.name or e["client"] in ("alpha", "beta")]
    assert b"newcomer@beta.test" not in theirs.content
