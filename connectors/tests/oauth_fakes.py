"""Google's and Meta's authorization servers faked on loopback for the connection tests, with the
settings pointing at them; and a connection made directly in the database, with tokens the fakes issued."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from config.crypto import encrypted
from connectors.models import Connection
from tests.fakes.base import FakeServer, TokenBook, serving
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.fakes.meta_oauth import FakeMetaOAuth

GOOGLE_ID, GOOGLE_SECRET = "pouls-test.apps.googleusercontent.com", "google-app-secret"
META_ID, META_SECRET = "1234567890", "meta-app-secret"


@dataclass
class Platforms:
    server: FakeServer
    tokens: TokenBook
    google: FakeGoogleOAuth
    meta: FakeMetaOAuth


@contextmanager
def fake_platforms(settings, **options) -> Iterator[Platforms]:
    """Both fakes on one server (as Meta's share the Graph API fake's), the settings aimed at them."""
    tokens = TokenBook()
    google = FakeGoogleOAuth(tokens, client_id=GOOGLE_ID, client_secret=GOOGLE_SECRET, **options)
    meta = FakeMetaOAuth(tokens, client_id=META_ID, client_secret=META_SECRET, **options)
    server = FakeServer()
    google.install(server)
    meta.install(server)
    with serving(server):
        for name, value in {**google.settings(server), **meta.settings(server)}.items():
            setattr(settings, name, value)
        settings.POULS_PUBLIC_URL = "http://testserver"
        yield Platforms(server, tokens, google, meta)


def connection_made(
    platforms: Platforms, agency, provider: str = "google", *, expires_in: timedelta = timedelta(hours=1)
) -> tuple[Connection, str, str]:
    """A connection of ``agency`` holding a grant the fakes know; returns it with its tokens in clear."""
    access_token, refresh_token = platforms.tokens.issue()
    connection = Connection.objects.create(
        agency=agency,
        provider=provider,
        account_label="made@agence.test",
        access_token=encrypted(access_token),
        refresh_token=encrypted(refresh_token) if provider == "google" else "",
        expires_at=timezone.now() + expires_in,
        scopes="openid email",
    )
    return connection, access_token, refresh_token
