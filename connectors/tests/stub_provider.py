"""A provider for the sync's tests: it reports the rows a test gives it (``STATE``), for any kind.

Registered by the ``stub_provider_state`` fixture in place of the four real providers, so the sync's
tests do not depend on the platforms' formats. It records every read. The fixtures are imported by
connectors/tests/conftest.py and by the tests elsewhere that sync (tests/test_connector_kpis.py)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pytest
from django_tenants.utils import schema_context

from connectors.models import PROVIDER_OF_KIND, Connection, Source, SourceKind


@dataclass
class StubState:
    rows: list = field(default_factory=list)
    currency: str = "EUR"
    # Raised by the next ``rows`` call (then cleared), to play a platform failing.
    error: Exception | None = None
    reads: list[tuple[date, date]] = field(default_factory=list)


STATE = StubState()


def reset() -> StubState:
    global STATE
    STATE = StubState()
    return STATE


def rows(session, source, start: date, end: date):
    STATE.reads.append((start, end))
    if STATE.error is not None:
        error, STATE.error = STATE.error, None
        raise error
    yield from (row for row in STATE.rows if start <= row.date <= end)


def currency(session, source) -> str:
    return STATE.currency


def accounts(session, connection) -> list:
    return []


# --- fixtures ---


@pytest.fixture
def stub_provider_state(monkeypatch):
    """Every kind's provider is ``connectors/tests/stub_provider.py`` and a sync's API session is a
    placeholder (no token, no platform): the test puts its rows in the returned state."""
    import connectors.providers
    import connectors.sync

    monkeypatch.setattr(
        connectors.providers, "MODULES", dict.fromkeys(SourceKind.values, "connectors.tests.stub_provider")
    )
    monkeypatch.setattr(connectors.sync, "_session", lambda source: object())
    return reset()


@pytest.fixture
def source_for(db, world):
    """``source_for(client, kind, **fields)``: a source of ``client`` (public schema) on a connection of
    its agency for the kind's platform."""

    def make(client, kind: str, **fields) -> Source:
        with schema_context("public"):
            connection, _ = Connection.objects.get_or_create(
                agency=client.agency, provider=PROVIDER_OF_KIND[SourceKind(kind)], defaults={"account_label": "test"}
            )
            source = Source.objects.create(
                client=client, connection=connection, kind=kind, external_id=f"{kind}-{client.slug}", **fields
            )
            return Source.objects.select_related("client", "client__agency", "connection").get(pk=source.pk)

    return make
