"""What every provider's tests start from: a fake platform API served on loopback, a stored token the
fake knows, a client's source on an agency connection, and the ApiSession the sync would give the
provider (its retry sleeps recorded instead of slept)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from connectors.http import ApiSession
from connectors.models import Connection, Source
from tests.fakes.base import FakeServer, TokenBook, serving


class StoredToken:
    """What the sync's token callable does: the stored access token, a fresh one when forced."""

    def __init__(self, book: TokenBook):
        self.book = book
        self.access, self.refresh = book.issue()
        self.forced = 0

    def __call__(self, force: bool = False) -> str:
        if force:
            self.forced += 1
            self.access, _ = self.book.issue(self.refresh)
        return self.access


@dataclass
class Platform:
    server: FakeServer
    fake: Any  # the platform's fake API (tests/fakes/<platform>.py), installed on ``server``
    tokens: TokenBook
    token: StoredToken
    session: ApiSession
    source: Source
    sleeps: list[float]


def platform_source(world, *, provider: str, kind: str, external_id: str, label: str = "Agence", **fields) -> Source:
    """Client alpha's source ``kind`` on a ``provider`` connection of its agency."""
    connection = Connection.objects.create(agency=world.agency, provider=provider, account_label=label)
    return Source.objects.create(
        client=world.alpha, connection=connection, kind=kind, external_id=external_id, **fields
    )


@contextmanager
def serving_platform(
    make_fake: Callable[[TokenBook], Any], source: Source, settings, **urls: str
) -> Iterator[Platform]:
    """Serve the fake ``make_fake(tokens)`` builds; each ``urls`` setting is set to its template with
    ``{base}`` the fake's address (e.g. ``POULS_GA4_DATA_URL="{base}"``)."""
    tokens = TokenBook()
    server = FakeServer()
    fake = make_fake(tokens)
    fake.install(server)
    sleeps: list[float] = []
    with serving(server):
        for name, template in urls.items():
            setattr(settings, name, template.format(base=server.base_url))
        token = StoredToken(tokens)
        with ApiSession(token=token, sleep=sleeps.append) as session:
            yield Platform(server, fake, tokens, token, session, source, sleeps)
