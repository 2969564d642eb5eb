"""Who may see, connect and disconnect an agency's platform connections: the one rule behind the
connections page and the connections API.

An agency's owners and staff (the people who work for the whole agency) do, for the agencies they work
for; platform superusers for every agency. A client's managers, sales and viewers do not (403); another
agency's connection does not exist for them (404). A suspended agency's people do nothing. The
agencies are those ``tenants.agency_rules`` says the person acts for, as for creating client accounts."""

from __future__ import annotations

from django.db.models import QuerySet

from connectors.models import Connection
from tenants.agency_rules import agencies_acted_for
from tenants.models import Agency


def agencies_connecting(user) -> list[Agency]:
    """The agencies whose connections ``user`` manages, by name: those they act for. One query."""
    return agencies_acted_for(user)


def connections_for(agencies: list[Agency]) -> QuerySet[Connection]:
    return Connection.objects.filter(agency__in=agencies).select_related("agency", "connected_by")


def connection_of(agencies: list[Agency], pk: int) -> Connection | None:
    """Connection ``pk`` if it belongs to one of ``agencies``; None otherwise (a 404 for the caller)."""
    return connections_for(agencies).filter(pk=pk).first()
