"""Shared fixtures of the connectors' tests."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context

from connectors.models import Connection, Source, SourceKind
from connectors.tests import stub_provider


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
    return stub_provider.reset()


@pytest.fixture
def source_for(db, world):
    """``source_for(client, kind, **fields)``: a source of ``client`` (public schema) on a connection of
    its agency for the kind's platform."""
    from connectors.models import PROVIDER_OF_KIND

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
