"""The connections API (/api/v1/connections/): an agency's owners and staff list its connections
(never a token) and disconnect one; another agency's people get 404, client people 403."""

from __future__ import annotations

import pytest

from config.crypto import decrypted
from connectors.models import Connection, Source
from connectors.tests.oauth_fakes import connection_made, fake_platforms

LIST = "/api/v1/connections/"


@pytest.fixture
def platforms(db, settings):
    with fake_platforms(settings) as platforms:
        yield platforms


def test_agency_people_list_connections_without_tokens(platforms, http_as, world):
    google, access, refresh = connection_made(platforms, world.agency)
    Source.objects.create(client=world.alpha, connection=google, kind="ga4", external_id="properties/1")
    Source.objects.create(client=world.beta, connection=google, kind="search_console", external_id="sc-domain:b.fr")
    meta, meta_access, _grant = connection_made(platforms, world.agency, "meta")
    connection_made(platforms, world.other_agency)  # another agency's: not listed
    for user in (world.owner, world.staff):
        answer = http_as(user).get(LIST)
        assert answer.status_code == 200, answer.content
        rows = answer.json()
        assert [(r["id"], r["provider"], r["sources"]) for r in rows] == [
            (google.pk, "google", 2),
            (meta.pk, "meta", 0),
        ]
        assert rows[0]["account_label"] == "made@agence.test" and rows[0]["scopes"] == ["openid", "email"]
        assert rows[0]["status"] == "active" and rows[0]["broken_reason"] == ""
        body = answer.content.decode()
        for secret in (access, refresh, meta_access, google.access_token, google.refresh_token, meta.access_token):
            assert secret not in body
        assert "token" not in " ".join(rows[0])


def test_owners_disconnect_and_the_grant_is_revoked(platforms, http_as, world):
    google, access, refresh = connection_made(platforms, world.agency)
    Source.objects.create(client=world.alpha, connection=google, kind="ga4", external_id="properties/1")
    assert decrypted(google.refresh_token) == refresh
    answer = http_as(world.staff).delete(f"{LIST}{google.pk}/")
    assert answer.status_code == 204
    assert not Connection.objects.exists() and not Source.objects.exists()
    assert platforms.server.calls_to("/revoke")[0].form()["token"] == refresh
    assert not platforms.tokens.valid(access)


def test_meta_disconnect_withdraws_the_permissions(platforms, http_as, world):
    meta, access, _grant = connection_made(platforms, world.agency, "meta")
    assert http_as(world.owner).delete(f"{LIST}{meta.pk}/").status_code == 204
    (call,) = platforms.server.calls_to("/v23.0/me/permissions")
    assert call.method == "DELETE" and call.headers["authorization"] == f"Bearer {access}"
    assert not platforms.tokens.valid(access) and not Connection.objects.exists()


def test_without_app_credentials_a_disconnect_is_refused_with_what_to_set(platforms, http_as, world, settings):
    google, _access, _refresh = connection_made(platforms, world.agency)
    settings.POULS_GOOGLE_CLIENT_ID = ""
    answer = http_as(world.owner).delete(f"{LIST}{google.pk}/")
    assert answer.status_code == 400 and "POULS_GOOGLE_CLIENT_ID" in answer.content.decode()
    assert Connection.objects.filter(pk=google.pk).exists()


def test_another_agency_gets_404_and_client_people_403(platforms, http_as, world):
    google, _access, _refresh = connection_made(platforms, world.agency)
    detail = f"{LIST}{google.pk}/"
    other = http_as(world.other_owner)
    assert other.get(LIST).json() == []
    assert other.delete(detail).status_code == 404
    for user in (world.manager_alpha, world.viewer_alpha, world.sales_alpha, world.outsider):
        browser = http_as(user)
        assert browser.get(LIST).status_code == 403
        assert browser.delete(detail).status_code == 403
    assert http_as(None).get(LIST).status_code in (401, 403)
    assert Connection.objects.filter(pk=google.pk).exists() and platforms.server.calls == []
