"""Who may see, connect and disconnect an agency's platform connections: the one rule behind the
connections page and the connections API.

An agency's owners and staff (the people who work for the whole agency) do, for the agencies they work
for; platform superusers for every agency. A client's managers, sales and viewers do not (403); another
agency's connection does not exist for them (404). A suspended agency's people do nothing. Same
agencies as ``portfolio.client_rules.agencies_creating_clients`` (portfolio is a higher layer)."""

from __future__ import annotations

from django.db.models import QuerySet

from connectors.models import Connection
from tenants.models import AGENCY_ROLES, Agency


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def agencies_connecting(user) -> list[Agency]:
    """The agencies whose connections ``user`` manages, by name. One query."""
    if not _signed_in(user):
        return []
    agencies = Agency.objects.filter(suspended_at__isnull=True).order_by("name", "pk")
    if user.is_superuser:
        return list(agencies)
    return list(agencies.filter(memberships__user_id=user.pk, memberships__role__in=AGENCY_ROLES).distinct())


def connections_for(agencies: list[Agency]) -> QuerySet[Connection]:
    return Connection.objects.filter(agency__in=agencies).select_related("agency", "connected_by")


def agency_named(agencies: list[Agency], agency_id) -> Agency | None:
    """The agency the person acts for: the one named (by id) among theirs, or their only one; None when
    they name none while working for several, or one that is not theirs."""
    if agency_id in (None, ""):
        return agencies[0] if len(agencies) == 1 else None
    try:
        agency_id = int(agency_id)
    except (TypeError, ValueError):
        return None
    return next((agency for agency in agencies if agency.pk == agency_id), None)
