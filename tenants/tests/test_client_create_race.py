"""Two people creating the same client account at once (two tabs, a double click, two scripts): one
gets it, the other is told the slug is taken, never a database error; idempotent callers (the
command) both get the one account."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from config.errors import DomainError
from tenants.models import Client
from tenants.services import client_create

SLUG = "race-twice"


def _twice_at_once(**kwargs) -> list:
    results: list = []
    start = threading.Barrier(2)

    def create() -> None:
        start.wait()
        try:
            results.append(client_create(slug=SLUG, name="Race", **kwargs))
        except DomainError as exc:
            results.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=create) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


@pytest.fixture
def cleaned(committed):
    yield committed
    connection.set_schema_to_public()
    for client in Client.objects.filter(slug=SLUG):
        client.delete(force_drop=True)


def test_the_same_slug_twice_at_once_is_created_once_and_refused_once(cleaned):
    results = _twice_at_once(agency=cleaned.agency, exists_ok=False)
    created = [r for r in results if isinstance(r, tuple)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(created) == 1 and len(refused) == 1, results
    assert refused[0].field == "slug"
    assert Client.objects.filter(slug=SLUG).count() == 1


def test_idempotent_callers_both_get_the_one_account(cleaned):
    results = _twice_at_once(agency=cleaned.agency)
    assert sorted(created for _client, created in results) == [False, True]
    assert len({client.pk for client, _created in results}) == 1
