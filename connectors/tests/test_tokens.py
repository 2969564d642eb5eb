"""The access token a sync sends (connectors.tokens): renewed before it expires, forced after a 401,
refused grants break the connection and its sources, and two concurrent syncs renew it once."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection as db
from django.utils import timezone

from config.crypto import decrypted
from connectors.errors import GrantRefused
from connectors.models import Connection, ConnectionStatus, Source, SourceStatus
from connectors.tests.oauth_fakes import connection_made, fake_platforms
from connectors.tokens import access_token, session_for
from tests.fakes.base import Answer, Call

META_TOKEN = "/v23.0/oauth/access_token"


@pytest.fixture
def platforms(db, settings):
    with fake_platforms(settings) as platforms:
        yield platforms


def _raw_access(connection: Connection) -> str:
    with db.cursor() as cursor:
        cursor.execute("SELECT access_token FROM connectors_connection WHERE id = %s", [connection.pk])
        return cursor.fetchone()[0]


def test_a_fresh_token_is_used_as_stored(platforms, world):
    connection, token, _refresh = connection_made(platforms, world.agency)
    assert access_token(connection) == token
    assert platforms.google.refreshes == 0


def test_a_google_token_expiring_within_five_minutes_is_refreshed_and_stored_encrypted(platforms, world):
    connection, old, refresh = connection_made(platforms, world.agency, expires_in=timedelta(minutes=1))
    new = access_token(connection)
    assert new != old and platforms.tokens.valid(new)
    assert platforms.google.refreshes == 1
    (call,) = platforms.server.calls_to("/token")
    assert (call.form()["grant_type"], call.form()["refresh_token"]) == ("refresh_token", refresh)
    stored = Connection.objects.get(pk=connection.pk)
    raw = _raw_access(stored)
    assert new not in raw and decrypted(raw) == new
    assert decrypted(stored.refresh_token) == refresh  # Google sent none: the old one stays
    assert stored.expires_at > timezone.now() + timedelta(minutes=55)
    assert access_token(stored) == new and platforms.google.refreshes == 1  # fresh now


def test_a_meta_token_is_exchanged_again_in_its_last_week(platforms, world):
    connection, old, _grant = connection_made(platforms, world.agency, "meta", expires_in=timedelta(days=3))
    new = access_token(connection)
    assert new != old and platforms.tokens.valid(new)
    (call,) = platforms.server.calls_to(META_TOKEN)
    assert call.query["grant_type"] == ["fb_exchange_token"] and call.query["fb_exchange_token"] == [old]
    assert Connection.objects.get(pk=connection.pk).expires_at > timezone.now() + timedelta(days=59)


def test_a_401_forces_one_refresh_and_the_call_is_made_again(platforms, world, settings):
    connection, old, _refresh = connection_made(platforms, world.agency)
    settings.POULS_GA4_DATA_URL = platforms.server.base_url + "/ga4"  # an allowed URL on the fake server

    @platforms.server.route("GET", "/ga4/thing")
    def thing(call: Call) -> Answer:
        if not platforms.tokens.bearer_valid(call):
            return Answer(401, {"error": {"code": 401, "message": "Request had invalid authentication credentials."}})
        return Answer(200, {"ok": True})

    platforms.tokens.expire_all()  # Google expired the token before the date we hold
    with session_for(connection) as session:
        assert session.request("GET", platforms.server.base_url + "/ga4/thing") == {"ok": True}
    assert platforms.google.refreshes == 1
    bearers = [c.headers["authorization"] for c in platforms.server.calls_to("/ga4/thing")]
    assert bearers[0] == f"Bearer {old}" and bearers[1] != bearers[0]
    assert decrypted(Connection.objects.get(pk=connection.pk).access_token) == bearers[1].removeprefix("Bearer ")


@pytest.mark.parametrize("provider", ["google", "meta"])
def test_a_revoked_grant_breaks_the_connection_and_its_sources(platforms, world, provider):
    connection, _token, _refresh = connection_made(platforms, world.agency, provider, expires_in=timedelta(minutes=1))
    kind = "ga4" if provider == "google" else "meta_ads"
    source = Source.objects.create(
        client=world.alpha, connection=connection, kind=kind, external_id="1", status=SourceStatus.OK
    )
    platforms.tokens.revoke_all()
    with pytest.raises(GrantRefused) as refused:
        access_token(connection)
    connection.refresh_from_db()
    source.refresh_from_db()
    assert connection.status == ConnectionStatus.BROKEN and connection.broken_reason == refused.value.message
    assert ("revoked" in refused.value.message) if provider == "google" else ("expired" in refused.value.message)
    assert (source.status, source.last_error) == (SourceStatus.BROKEN, refused.value.message)
    # a broken connection is not asked again until reconnected
    calls = len(platforms.server.calls)
    with pytest.raises(GrantRefused):
        access_token(connection, force=True)
    assert len(platforms.server.calls) == calls


def test_an_unavailable_platform_is_transient_and_breaks_nothing(platforms, world):
    from connectors.errors import Transient

    connection, _token, _refresh = connection_made(platforms, world.agency, expires_in=timedelta(minutes=1))
    platforms.server.queue("/token", [Answer(503, {"error": "unavailable"})])
    with pytest.raises(Transient):
        access_token(connection)
    connection.refresh_from_db()
    assert connection.status == ConnectionStatus.ACTIVE


def test_concurrent_syncs_refresh_once_under_the_row_lock(committed, settings):
    with fake_platforms(settings, refresh_delay=0.5) as platforms:
        connection, old, _refresh = connection_made(platforms, committed.agency, expires_in=timedelta(minutes=1))
        try:
            start = threading.Barrier(2)
            tokens: list[str] = []
            errors: list[BaseException] = []

            def sync() -> None:
                try:
                    mine = Connection.objects.get(pk=connection.pk)  # each sync reads its own row
                    start.wait(timeout=10)
                    tokens.append(access_token(mine))
                except BaseException as exc:  # reported below, not lost in the thread
                    errors.append(exc)
                finally:
                    db.close()

            threads = [threading.Thread(target=sync) for _ in range(2)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=30)
            assert errors == []
            assert len(tokens) == 2 and tokens[0] == tokens[1] != old
            assert platforms.google.refreshes == 1
        finally:
            Connection.objects.filter(pk=connection.pk).delete()
