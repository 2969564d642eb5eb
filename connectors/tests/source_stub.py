"""A stub platform for the sources' tests: a provider module registered in
``connectors.providers.MODULES`` for every kind, and a ``connectors.tokens`` whose session is a
marker, so the accounts are listed without a network or a real grant."""

from __future__ import annotations

import sys
import types

import pytest
from django.db import transaction

from connectors.errors import GrantRefused, Transient
from connectors.models import Connection
from connectors.providers.rows import Account

ACCOUNTS = {
    "ga4": [Account(id="properties/111", name="Alpha site")],
    "search_console": [Account(id="sc-domain:alpha.test", name="alpha.test")],
    "google_ads": [Account(id="1234567890", name="Alpha Ads", currency="EUR", manager_id="9876543210")],
    "meta_ads": [Account(id="act_555", name="Alpha Meta", currency="EUR")],
}


class Stub:
    """What the stub platform answers: ``fail`` set to an exception makes ``accounts`` raise it."""

    def __init__(self):
        self.fail: Exception | None = None
        self.listed = 0
        self.synced: list[int] = []


@pytest.fixture(name="platform")
def platform_fixture(monkeypatch) -> Stub:
    stub = Stub()

    def accounts(session, connection):
        stub.listed += 1
        if stub.fail is not None:
            raise stub.fail
        return ACCOUNTS[session["kind"]]

    def provider_module(kind: str) -> types.ModuleType:
        module = types.ModuleType(f"connectors.tests.stub_{kind}")
        module.KIND = kind
        module.accounts = lambda session, connection: accounts({**session, "kind": kind}, connection)
        return module

    from connectors import providers

    for kind in ACCOUNTS:
        name = f"connectors.tests.stub_{kind}"
        monkeypatch.setitem(sys.modules, name, provider_module(kind))
        monkeypatch.setitem(providers.MODULES, kind, name)
    tokens = types.ModuleType("connectors.tokens")
    tokens.session_for = lambda connection: {"connection": connection.pk}
    monkeypatch.setitem(sys.modules, "connectors.tokens", tokens)
    sync = types.ModuleType("connectors.sync")
    # as the real one: the sync is sent once the transaction commits
    sync.source_sync_now = lambda source: transaction.on_commit(lambda: stub.synced.append(source.pk))
    monkeypatch.setitem(sys.modules, "connectors.sync", sync)
    from django.core.cache import cache

    cache.clear()
    return stub


def connect(agency, provider: str = "google") -> Connection:
    return Connection.objects.create(agency=agency, provider=provider, account_label=f"{provider}@agence.test")


__all__ = ["GrantRefused", "Transient", "connect", "platform_fixture"]
