"""Who acts for an agency as a whole: the one rule behind creating client accounts (portfolio) and
managing the agency's platform connections (connectors), kept here so both layers share it.

An agency's owners and staff (the people who work for the whole agency) act for the agencies they work
for; platform superusers for every agency. A client's managers, sales and viewers do not. A suspended
agency's people do nothing for it."""

from __future__ import annotations

from tenants.models import AGENCY_ROLES, Agency


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def agencies_acted_for(user) -> list[Agency]:
    """The agencies ``user`` acts for (owners and staff; superusers: every agency), by name. One query."""
    if not _signed_in(user):
        return []
    agencies = Agency.objects.filter(suspended_at__isnull=True).order_by("name", "pk")
    if user.is_superuser:
        return list(agencies)
    return list(agencies.filter(memberships__user_id=user.pk, memberships__role__in=AGENCY_ROLES).distinct())


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
