"""Connecting a platform account (issue 17, "Connecting"): the OAuth round trip through the pages against
fake Google and Meta authorization servers — state and PKCE checked, tokens stored encrypted, a forged,
reused or expired state refused, a refused code stores nothing, the missing app credentials said."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import time_machine
from django.db import connection as db
from django.utils import timezone

from config.crypto import decrypted
from connectors.models import Connection, ConnectionStatus, Source, SourceStatus
from connectors.oauth import GOOGLE_SCOPES, PENDING_KEY
from connectors.tests.oauth_fakes import fake_platforms
from tests.fakes.google_oauth import AUTH_PATH, s256
from tests.fakes.meta_oauth import DIALOG_PATH, LONG_LIVED_SECONDS

CALLBACK = "http://testserver/connections/{}/callback/"


@pytest.fixture
def platforms(db, settings):
    with fake_platforms(settings) as platforms:
        yield platforms


@pytest.fixture
def owner(http_as, world):
    web = http_as(world.owner)
    web.cookies["django_language"] = "en"
    return web


def _start(web, agency, provider: str = "google") -> tuple[str, dict[str, str]]:
    started = web.post(f"/connections/{provider}/start/", {"agency": agency.pk})
    assert started.status_code == 302, started.content
    url = started["Location"]
    return url, {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def _consent(url: str) -> str:
    """The browser at the fake's consent screen: where it is sent back (a path of ours)."""
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302
    location = answer.headers["location"].split("#")[0]  # Meta appends "#_=_"
    assert location.startswith("http://testserver/")
    return location.removeprefix("http://testserver")


def _columns(pk: int) -> tuple[str, str]:
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token, refresh_token FROM connectors_connection WHERE id = %s", [pk])
        return cursor.fetchone()


def test_google_connects_with_state_and_pkce_and_stores_tokens_encrypted(platforms, owner, world):
    url, query = _start(owner, world.agency)
    assert url.startswith(platforms.server.base_url + AUTH_PATH)
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert (query["access_type"], query["prompt"], query["response_type"]) == ("offline", "consent", "code")
    assert query["scope"].split() == list(GOOGLE_SCOPES)
    assert query["redirect_uri"] == CALLBACK.format("google") and query["state"]

    done = owner.get(_consent(url))
    assert done.status_code == 302 and done["Location"] == "/connections/"

    connection = Connection.objects.get(agency=world.agency, provider="google")
    assert connection.account_label == "agency@example.test"
    assert connection.status == ConnectionStatus.ACTIVE and connection.connected_by == world.owner
    assert connection.expires_at > timezone.now() + timedelta(minutes=55)
    assert "adwords" in connection.scopes
    # the code was exchanged with the verifier whose challenge the consent screen got
    (exchange,) = platforms.server.calls_to("/token")
    assert s256(exchange.form()["code_verifier"]) == query["code_challenge"]
    ((access_token, refresh_token),) = platforms.tokens.access.items()
    raw_access, raw_refresh = _columns(connection.pk)
    assert access_token not in raw_access and refresh_token not in raw_refresh
    assert access_token not in raw_refresh and refresh_token not in raw_access
    assert (decrypted(raw_access), decrypted(raw_refresh)) == (access_token, refresh_token)

    page = owner.get("/connections/").content.decode()
    assert "Google is connected." in page and "agency@example.test" in page
    assert access_token not in page and refresh_token not in page


def test_meta_connects_exchanges_for_a_long_lived_token_and_names_the_account(platforms, owner, world):
    url, query = _start(owner, world.agency, "meta")
    assert url.startswith(platforms.server.base_url + DIALOG_PATH)
    assert query["code_challenge_method"] == "S256" and query["scope"] == "ads_read"
    assert query["redirect_uri"] == CALLBACK.format("meta")

    done = owner.get(_consent(url))
    assert done.status_code == 302

    connection = Connection.objects.get(agency=world.agency, provider="meta")
    assert connection.account_label == "Agence Meta"
    (code_call,) = [c for c in platforms.server.calls_to("/v23.0/oauth/access_token") if "code" in c.query]
    assert s256(code_call.query["code_verifier"][0]) == query["code_challenge"]
    exchange = [c for c in platforms.server.calls_to("/v23.0/oauth/access_token") if "fb_exchange_token" in c.query]
    assert len(exchange) == 1
    short_lived = exchange[0].query["fb_exchange_token"][0]
    long_lived = decrypted(_columns(connection.pk)[0])
    assert long_lived != short_lived and platforms.tokens.valid(long_lived)
    assert long_lived not in _columns(connection.pk)[0]
    assert connection.expires_at > timezone.now() + timedelta(seconds=LONG_LIVED_SECONDS - 60)


def test_a_forged_or_missing_state_is_refused_and_stores_nothing(platforms, owner, world):
    url, _query = _start(owner, world.agency)
    callback = _consent(url)
    forged = callback.replace("state=", "state=forged")
    for path in (forged, "/connections/google/callback/?code=x", "/connections/google/callback/"):
        refused = owner.get(path)
        assert refused.status_code == 400
        assert "This connection attempt is not valid" in refused.content.decode()
    assert not Connection.objects.exists()
    assert platforms.server.calls_to("/token") == []


def test_a_state_is_single_use(platforms, owner, world):
    url, _query = _start(owner, world.agency)
    callback = _consent(url)
    assert owner.get(callback).status_code == 302
    first = Connection.objects.get()
    again = owner.get(callback)
    assert again.status_code == 400
    assert Connection.objects.get().access_token == first.access_token
    assert len(platforms.server.calls_to("/token")) == 1


def test_a_state_of_another_platform_or_session_is_refused(platforms, owner, http_as, world):
    url, _query = _start(owner, world.agency)
    callback = _consent(url)
    assert owner.get(callback.replace("/google/", "/meta/")).status_code == 400
    staff = http_as(world.staff)  # another session: the state is not theirs
    assert staff.get(callback).status_code == 400
    assert not Connection.objects.exists()


def test_a_state_expires_after_ten_minutes(platforms, owner, world):
    url, _query = _start(owner, world.agency)
    callback = _consent(url)
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        assert owner.get(callback).status_code == 400
    assert not Connection.objects.exists() and platforms.server.calls_to("/token") == []


def test_a_wrong_code_verifier_is_refused_by_the_platform_and_stores_nothing(platforms, owner, world):
    url, query = _start(owner, world.agency)
    session = owner.session
    pending = session[PENDING_KEY]
    pending[query["state"]]["verifier"] = "not-the-verifier-whose-challenge-google-got-" + "x" * 20
    session[PENDING_KEY] = pending
    session.save()
    done = owner.get(_consent(url), follow=True)
    page = done.content.decode()
    assert "The connection failed" in page and "Invalid code verifier" in page
    assert not Connection.objects.exists()


def test_declining_on_the_consent_screen_says_so(platforms, owner, world):
    platforms.google.consent = False
    url, _query = _start(owner, world.agency)
    done = owner.get(_consent(url), follow=True)
    assert "You declined the access" in done.content.decode()
    assert not Connection.objects.exists()


def test_without_app_credentials_the_page_says_what_to_configure(platforms, owner, world, settings):
    settings.POULS_GOOGLE_CLIENT_SECRET = ""
    settings.POULS_GOOGLE_ADS_DEVELOPER_TOKEN = ""
    page = owner.get("/connections/").content.decode()
    assert "POULS_GOOGLE_CLIENT_SECRET" in page and "POULS_GOOGLE_ADS_DEVELOPER_TOKEN" in page
    assert "POULS_GOOGLE_CLIENT_ID" not in page  # set
    assert CALLBACK.format("google") in page
    assert 'data-testid="connect-google"' not in page and 'data-testid="connect-meta"' in page
    refused = owner.post("/connections/google/start/", {"agency": world.agency.pk}, follow=True)
    assert "POULS_GOOGLE_CLIENT_SECRET" in refused.content.decode()
    assert platforms.server.calls == []


def test_a_reconnection_replaces_the_broken_grant_and_wakes_its_sources(platforms, owner, world):
    broken = Connection.objects.create(
        agency=world.agency, provider="google", status=ConnectionStatus.BROKEN, broken_reason="Token revoked."
    )
    source = Source.objects.create(
        client=world.alpha,
        connection=broken,
        kind="ga4",
        external_id="properties/1",
        status=SourceStatus.BROKEN,
        last_error="x",
    )
    page = owner.get("/connections/").content.decode()
    assert "Token revoked." in page and "Reconnect" in page and "Alpha SAS" in page
    url, _query = _start(owner, world.agency)
    owner.get(_consent(url))
    broken.refresh_from_db()
    source.refresh_from_db()
    assert (broken.status, broken.broken_reason) == (ConnectionStatus.ACTIVE, "")
    assert source.status == SourceStatus.PENDING
    assert Connection.objects.count() == 1


def test_someone_in_several_agencies_names_the_agency(platforms, http_as, world):
    from tenants.services import membership_grant

    membership_grant(user=world.staff, agency=world.other_agency, role="staff")
    web = http_as(world.staff)
    assert web.post("/connections/google/start/").status_code == 404  # which agency?
    url, _query = _start(web, world.other_agency)
    web.get(_consent(url))
    assert Connection.objects.get().agency == world.other_agency


def test_client_people_and_outsiders_may_not(platforms, http_as, world):
    for user in (world.manager_alpha, world.viewer_alpha, world.sales_alpha, world.outsider):
        web = http_as(user)
        assert web.get("/connections/").status_code == 403
        assert web.post("/connections/google/start/", {"agency": world.agency.pk}).status_code == 403
    assert http_as(None).get("/connections/").status_code == 302  # to the login page
    other = http_as(world.other_owner)
    assert other.post("/connections/google/start/", {"agency": world.agency.pk}).status_code == 404
    assert platforms.server.calls == []


def test_the_portfolio_links_to_connections_for_agency_people(platforms, http_as, world):
    assert 'data-testid="connections-link"' in http_as(world.owner).get("/").content.decode()
    assert 'data-testid="connections-link"' not in http_as(world.manager_alpha).get("/").content.decode()


def test_disconnecting_revokes_at_the_platform_and_deletes(platforms, owner, world):
    url, _query = _start(owner, world.agency)
    owner.get(_consent(url))
    connection = Connection.objects.get()
    Source.objects.create(client=world.alpha, connection=connection, kind="ga4", external_id="properties/1")
    (access_token, refresh_token) = next(iter(platforms.tokens.access.items()))
    done = owner.post(f"/connections/{connection.pk}/disconnect/", follow=True)
    assert "Google is disconnected." in done.content.decode()
    assert not Connection.objects.exists() and not Source.objects.exists()
    (revocation,) = platforms.server.calls_to("/revoke")
    assert revocation.form()["token"] == refresh_token
    assert not platforms.tokens.valid(access_token)


def test_a_failing_revocation_still_disconnects(platforms, owner, world):
    from tests.fakes.base import Answer

    url, _query = _start(owner, world.agency, "meta")
    owner.get(_consent(url))
    platforms.server.queue("/v23.0/me/permissions", [Answer(500, {"error": {"message": "down", "code": 2}})])
    connection = Connection.objects.get()
    owner.post(f"/connections/{connection.pk}/disconnect/")
    assert not Connection.objects.exists()
    assert len(platforms.server.calls_to("/v23.0/me/permissions")) == 1


def test_another_agency_may_not_disconnect(platforms, owner, http_as, world):
    url, _query = _start(owner, world.agency)
    owner.get(_consent(url))
    connection = Connection.objects.get()
    assert http_as(world.other_owner).post(f"/connections/{connection.pk}/disconnect/").status_code == 404
    assert http_as(world.manager_alpha).post(f"/connections/{connection.pk}/disconnect/").status_code == 403
    assert Connection.objects.filter(pk=connection.pk).exists() and platforms.server.calls_to("/revoke") == []
