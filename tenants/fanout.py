"""The one loop of the periodic tasks that beat sends once, from the public schema, for every client.

Only active clients are visited: an archived or suspended account (``is_active`` False) takes no
traffic, and its data stays exactly as it was left until it is reactivated (the next tick then
catches up, since every fanned-out task works from durable state: dirty days, queued jobs, pending
events, old windows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from django.db.models import QuerySet
from django_tenants.utils import tenant_context

from tenants.models import Client

T = TypeVar("T")


def active_clients() -> QuerySet[Client]:
    """The client accounts periodic work is done for, in a stable order."""
    return Client.objects.accounts().filter(is_active=True).order_by("name", "pk")


def each_active_client(work: Callable[[Client], T], /, *, stop: Callable[[T], bool] | None = None) -> list[T]:
    """Call ``work(client)`` in each active client's schema (so a task sent there carries that schema)
    and return the results in order. After a result for which ``stop`` is true, the remaining clients
    are left for the next tick: that is how a task stops sending once the broker is down."""
    results: list[T] = []
    for client in active_clients():
        with tenant_context(client):
            result = work(client)
        results.append(result)
        if stop is not None and stop(result):
            break
    return results
