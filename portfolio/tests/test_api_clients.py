"""The clients API (public schema): every endpoint and role, by session and by personal token, with the
pages' rules. Another agency's client account, or an archived one (for anyone but its agency's
owners), does not exist for the caller (404); a role that may read a client but not change it gets a
403. The members' routes under /api/v1/clients/<slug>/members/ keep answering beside these."""

from __future__ import annotations

import re

import pytest
import yaml
from django.test import Client as HttpClient
from knox.models import AuthToken

from audit.models import AuditAction, AuditEvent
from config.throttling import throttle_cache
from portfolio.client_rules import CLIENT_CREATIONS, creation_quota_key
from tenants.models import Client
from tenants.services import client_archive, membership_grant

CLIENTS = "/api/v1/clients/"


def _detail(slug: str) -> str:
    return f"{CLIENTS}{slug}/"


def _token_client(user) -> HttpClient:
    """A script with ``user``'s personal token (no session, no CSRF)."""
    _, token = AuthToken.objects.create(user=user)
    return HttpClient(headers={"Authorization": f"Token {token}"})


def _archived(client: Client, actor) -> None:
    client_archive(Client.objects.get(pk=client.pk), actor=actor)  # a copy: the world's stays active


def _patch(http, slug: str, body: dict):
    return http.patch(_detail(slug), body, content_type="application/json")


def _post(http, path: str, body: dict | None = None):
    return http.post(path, body or {}, content_type="application/json")


def test_the_public_document_has_the_clients_paths(db, anonymous):
    paths = yaml.safe_load(anonymous.get("/api/v1/schema/").content)["paths"]
    clients = {path: sorted(methods) for path, methods in paths.items() if path.startswith(CLIENTS)}
    assert clients == {
        "/api/v1/clients/": ["get", "post"],
        "/api/v1/clients/{slug}/": ["get", "patch"],
        "/api/v1/clients/{slug}/archive/": ["post"],
        "/api/v1/clients/{slug}/restore/": ["post"],
        "/api/v1/clients/{slug}/members/": ["get"],
        "/api/v1/clients/{slug}/members/{id}/": ["delete", "patch"],
    }
    create = paths["/api/v1/clients/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "429"} <= set(create)
    assert {"403", "404"} <= set(paths["/api/v1/clients/{slug}/restore/"]["post"]["responses"])


# --- list and read -------------------------------------------------------------------------------

LISTS = {
    "owner": {"alpha": "owner", "beta": "owner"},
    "staff": {"alpha": "staff", "beta": "staff"},
    "manager_alpha": {"alpha": "manager"},
    "sales_alpha": {"alpha": "sales"},
    "viewer_alpha": {"alpha": "viewer"},
    "viewer_beta": {"beta": "viewer"},
    "other_owner": {"gamma": "owner"},
    "outsider": {},
}


@pytest.mark.parametrize(("who", "expected"), LISTS.items())
def test_each_person_lists_the_client_accounts_they_may_enter_with_their_role(http_as, world, who, expected):
    response = http_as(getattr(world, who)).get(CLIENTS)
    assert response.status_code == 200
    listed = {row["slug"]: row["role"] for row in response.json()}
    assert {slug: role for slug, role in listed.items() if slug in ("alpha", "beta", "gamma")} == expected


def test_a_row_says_what_the_caller_may_do(http_as, world):
    rows = {row["slug"]: row for row in http_as(world.staff).get(CLIENTS).json()}
    beta = rows["beta"]
    assert beta == {
        "slug": "beta",
        "name": "Beta SARL",
        "agency": world.agency.pk,
        "agency_name": world.agency.name,
        "time_zone": "America/Montreal",
        "currency": "EUR",
        "role": "staff",
        "archived": False,
        "can_change": True,
        "can_restore": False,
        "url": "/c/beta/",
        "created_at": beta["created_at"],
    }
    manager_row = http_as(world.manager_alpha).get(_detail("alpha")).json()
    assert (manager_row["role"], manager_row["can_change"], manager_row["can_restore"]) == ("manager", False, False)


@pytest.mark.parametrize("who", ["owner", "staff", "manager_alpha", "sales_alpha", "viewer_alpha"])
def test_anyone_who_enters_a_client_reads_it(http_as, world, who):
    response = http_as(getattr(world, who)).get(_detail("alpha"))
    assert response.status_code == 200 and response.json()["slug"] == "alpha"


@pytest.mark.parametrize("who", ["other_owner", "outsider", "viewer_beta"])
def test_a_client_the_caller_may_not_enter_does_not_exist(http_as, world, who):
    person = http_as(getattr(world, who))
    for response in (
        person.get(_detail("alpha")),
        _patch(person, "alpha", {"name": "Hacked"}),
        _post(person, _detail("alpha") + "archive/"),
        _post(person, _detail("alpha") + "restore/"),
    ):
        assert response.status_code == 404, response.content
    unknown = person.get(_detail("no-such-client"))
    assert unknown.status_code == 404 and unknown.json() == person.get(_detail("alpha")).json()
    assert Client.objects.get(pk=world.alpha.pk).name == "Alpha SAS"


def test_anonymous_callers_are_refused(anonymous, world):
    for response in (
        anonymous.get(CLIENTS),
        _post(anonymous, CLIENTS, {"name": "X", "slug": "x"}),
        anonymous.get(_detail("alpha")),
        _post(anonymous, _detail("alpha") + "archive/"),
    ):
        assert response.status_code == 401 and response.has_header("WWW-Authenticate")


# --- create --------------------------------------------------------------------------------------


def test_staff_create_a_client_account_with_a_token(db, world):
    script = _token_client(world.staff)
    response = _post(script, CLIENTS, {"name": "Zeta", "slug": "zeta", "time_zone": "Europe/Madrid"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["slug"], body["role"], body["agency"], body["currency"], body["url"]) == (
        "zeta",
        "staff",
        world.agency.pk,
        "EUR",
        "/c/zeta/",
    )
    zeta = Client.objects.get(slug="zeta")
    assert (zeta.time_zone, zeta.agency_id) == ("Europe/Madrid", world.agency.pk)
    event = AuditEvent.objects.get(action=AuditAction.CLIENT_CREATED, client=zeta)
    assert event.actor == world.staff
    # the same slug again is taken, whoever asks
    again = _post(http_owner := _token_client(world.owner), CLIENTS, {"name": "Zeta 2", "slug": "zeta"})
    assert again.status_code == 400 and list(again.json()) == ["slug"]
    assert http_owner.get(_detail("zeta")).json()["role"] == "owner"


@pytest.mark.parametrize("who", ["manager_alpha", "sales_alpha", "viewer_alpha", "outsider"])
def test_client_people_and_outsiders_create_nothing(http_as, world, who):
    response = _post(http_as(getattr(world, who)), CLIENTS, {"name": "Eta", "slug": "eta"})
    assert response.status_code == 403
    assert not Client.objects.filter(slug="eta").exists()


def test_someone_working_for_two_agencies_names_it(http_as, world):
    membership_grant(user=world.other_owner, agency=world.agency, role="staff")
    person = http_as(world.other_owner)
    body = {"name": "Theta", "slug": "theta"}
    unnamed = _post(person, CLIENTS, body)
    assert unnamed.status_code == 400 and list(unnamed.json()) == ["agency"]
    stranger = _post(person, CLIENTS, {**body, "agency": 10**9})
    assert stranger.status_code == 404
    assert not Client.objects.filter(slug="theta").exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": "Iota"},
        {"slug": "iota"},
        {"name": ["a list"], "slug": "iota"},
        {"name": "Iota", "slug": "iota", "agency": "one"},
        {"name": "Iota", "slug": "iota", "agency": 0},
        {"name": "Iota", "slug": "iota", "time_zone": None},
        {"name": "Iota", "slug": "iota", "currency": "€" * 5000},
        {"name": "Iota", "slug": "Iota"},
    ],
)
def test_bad_input_is_a_400_naming_the_field_never_a_500(http_as, world, body):
    response = _post(http_as(world.owner), CLIENTS, body)
    assert response.status_code == 400, response.content
    assert response.json() and all(isinstance(messages, list) for messages in response.json().values())
    assert all(len(message) < 400 for messages in response.json().values() for message in messages)
    assert not Client.objects.filter(slug__iexact="iota").exists()


@pytest.fixture
def spent_quota(world):
    """The owner created as many client accounts this hour as one may (counts forgotten afterwards)."""
    for _ in range(CLIENT_CREATIONS.limit):
        CLIENT_CREATIONS.record(creation_quota_key(world.owner))
    yield world
    throttle_cache().clear()


def test_creations_per_hour_are_bounded(http_as, spent_quota):
    refused = _post(http_as(spent_quota.owner), CLIENTS, {"name": "Kappa", "slug": "kappa"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert not Client.objects.filter(slug="kappa").exists()
    # others are not held back
    assert _post(http_as(spent_quota.staff), CLIENTS, {"name": "", "slug": "kappa"}).status_code == 400


# --- change ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["owner", "staff"])
def test_owners_and_staff_change_a_client(http_as, world, who):
    actor = getattr(world, who)
    response = _patch(http_as(actor), "alpha", {"name": "Alpha Group", "currency": "gbp", "slug": "alpha"})
    assert response.status_code == 200, response.content
    assert (response.json()["name"], response.json()["currency"]) == ("Alpha Group", "GBP")
    alpha = Client.objects.get(pk=world.alpha.pk)
    assert (alpha.name, alpha.currency, alpha.time_zone) == ("Alpha Group", "GBP", "Europe/Paris")
    event = AuditEvent.objects.get(action=AuditAction.CLIENT_UPDATED, client=alpha)
    assert (event.actor, event.details) == (actor, {"name": "Alpha Group", "currency": "GBP"})


@pytest.mark.parametrize("who", ["manager_alpha", "sales_alpha", "viewer_alpha"])
def test_client_people_may_not_change_nor_archive_it(http_as, world, who):
    person = http_as(getattr(world, who))
    assert _patch(person, "alpha", {"name": "Hacked"}).status_code == 403
    assert _post(person, _detail("alpha") + "archive/").status_code == 403
    assert _post(person, _detail("alpha") + "restore/").status_code == 403
    alpha = Client.objects.get(pk=world.alpha.pk)
    assert (alpha.name, alpha.is_active) == ("Alpha SAS", True)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"slug": "alpha-renamed"}, "slug"),
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"currency": "XAU"}, "currency"),
        ({"name": ""}, "name"),
        ({"name": "n" * 201}, "name"),
    ],
)
def test_a_refused_change_is_a_400_naming_the_field_and_changes_nothing(http_as, world, body, field):
    response = _patch(http_as(world.owner), "alpha", {**body, "currency": body.get("currency", "USD")})
    assert response.status_code == 400 and list(response.json()) == [field]
    alpha = Client.objects.get(pk=world.alpha.pk)
    assert (alpha.slug, alpha.name, alpha.currency, alpha.time_zone) == ("alpha", "Alpha SAS", "EUR", "Europe/Paris")


# --- archive and restore --------------------------------------------------------------------------


def test_archive_closes_the_client_to_its_members_at_their_next_request(http_as, world):
    viewer, manager = http_as(world.viewer_alpha), _token_client(world.manager_alpha)
    assert viewer.get(_detail("alpha")).status_code == 200
    assert manager.get("/c/alpha/api/v1/kpis/").status_code == 200
    # when staff archive alpha through the API
    response = _post(http_as(world.staff), _detail("alpha") + "archive/")
    assert response.status_code == 200 and response.json()["archived"] is True
    # then its members get 404 at once: on the clients API, its own API and its dashboard
    for person in (viewer, manager):
        assert person.get(_detail("alpha")).status_code == 404
        assert person.get("/c/alpha/api/v1/kpis/").status_code == 404
        assert "alpha" not in {row["slug"] for row in person.get(CLIENTS).json()}
    assert viewer.get("/c/alpha/").status_code == 404  # the dashboard (a page: the session)
    # the members API of the archived client is closed as well
    assert http_as(world.owner).get(_detail("alpha") + "members/").status_code == 404
    assert AuditEvent.objects.get(action=AuditAction.CLIENT_ARCHIVED, client=world.alpha).actor == world.staff


def test_an_archived_client_exists_only_for_its_agency_s_owners(http_as, world):
    _archived(world.alpha, world.owner)
    owner, staff = http_as(world.owner), http_as(world.staff)
    # the owner lists and reads it among the archived ones, and may restore it
    assert [row["slug"] for row in owner.get(CLIENTS, {"archived": "true"}).json()] == ["alpha"]
    row = owner.get(_detail("alpha")).json()
    assert (row["archived"], row["can_change"], row["can_restore"]) == (True, False, True)
    # its settings are not changed while archived (restore first); archiving again changes nothing
    archived_patch = _patch(owner, "alpha", {"name": "Changed"})
    assert archived_patch.status_code == 400 and "non_field_errors" in archived_patch.json()
    assert _post(owner, _detail("alpha") + "archive/").status_code == 200
    assert AuditEvent.objects.filter(action=AuditAction.CLIENT_ARCHIVED, client=world.alpha).count() == 1
    # staff: gone
    assert staff.get(CLIENTS, {"archived": "true"}).json() == []
    for response in (
        staff.get(_detail("alpha")),
        _patch(staff, "alpha", {"name": "Changed"}),
        _post(staff, _detail("alpha") + "restore/"),
    ):
        assert response.status_code == 404
    assert not Client.objects.get(pk=world.alpha.pk).is_active


def test_an_owner_restores_it_and_its_members_are_back(http_as, world):
    _archived(world.alpha, world.staff)
    response = _post(_token_client(world.owner), _detail("alpha") + "restore/")
    assert response.status_code == 200 and response.json()["archived"] is False
    assert http_as(world.viewer_alpha).get(_detail("alpha")).status_code == 200
    assert http_as(world.manager_alpha).get("/c/alpha/").status_code == 200
    event = AuditEvent.objects.get(action=AuditAction.CLIENT_RESTORED, client=world.alpha)
    assert event.actor == world.owner


def test_staff_may_not_restore_even_an_active_client(http_as, world):
    assert _post(http_as(world.staff), _detail("alpha") + "restore/").status_code == 403


def test_the_archived_filter_takes_a_boolean(http_as, world):
    response = http_as(world.owner).get(CLIENTS, {"archived": "maybe"})
    assert response.status_code == 400 and list(response.json()) == ["archived"]


def test_the_members_routes_still_answer_beside_the_clients_routes(http_as, world):
    members = http_as(world.owner).get(_detail("alpha") + "members/")
    assert members.status_code == 200
    assert {row["email"] for row in members.json()} >= {"manager@alpha.test", "viewer@alpha.test"}
    assert http_as(world.owner).get(_detail("members")).status_code == 404  # a client slugged "members": none


# --- isolation: every client route of the portfolio, pages and API ----------------------------------


def _client_routes() -> list[str]:
    """Every route of portfolio.urls naming a client account, as a template with {slug}."""
    from portfolio.urls import urlpatterns

    routes = [
        "/" + str(p.pattern).replace("<slug:slug>", "{slug}") for p in urlpatterns if "<slug:slug>" in str(p.pattern)
    ]
    assert len(routes) == 6  # settings, archive, restore; the API's detail, archive, restore
    return routes


def _blanked(content: bytes, slug: str) -> bytes:
    """A page's bytes without what differs per request by design: its CSRF token (masked afresh on each
    page, in the top bar's forms) and the slug it was asked for (the language switch returns there)."""
    return re.sub(rb'name="csrfmiddlewaretoken" value="[^"]*"', b"", content).replace(slug.encode(), b"<slug>")


@pytest.mark.parametrize("route", _client_routes())
@pytest.mark.parametrize("method", ["get", "post", "patch"])
def test_another_agency_s_client_answers_like_one_that_does_not_exist(http_as, world, route, method):
    # given gamma, of the other agency, and people who reach alpha or nothing
    for user in (world.owner, world.staff, world.manager_alpha, world.outsider):
        person = http_as(user)
        # when they call any client route of the portfolio for gamma, and for a slug nobody has
        real = getattr(person, method)(route.format(slug="gamma"), {}, content_type="application/json")
        made_up = getattr(person, method)(route.format(slug="no-such"), {}, content_type="application/json")
        # then both are the same refusal: gamma does not exist for them (a page may refuse the method alike)
        assert real.status_code == made_up.status_code and real.status_code in (404, 405), (user, route, method)
        assert _blanked(real.content, "gamma") == _blanked(made_up.content, "no-such")
    gamma = Client.objects.get(pk=world.gamma.pk)
    assert (gamma.name, gamma.is_active) == ("Gamma Ltd", True)
