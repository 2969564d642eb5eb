"""Reads behind the people page and the people API: which places someone may manage, who is a member
there, and which invitations are waiting. Every list is cut to what ``accounts.rules`` lets the caller
manage, so pages and API show the same."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Q, QuerySet

from accounts.models import Invitation
from accounts.rules import CLIENT_ROLES_INVITED_BY
from tenants.access import ClientAccess, client_access_for, clients_visible_to
from tenants.models import Agency, Client, Membership, Role


@dataclass(frozen=True)
class ClientPlace:
    """A client account the caller manages, with the roles they may give there."""

    access: ClientAccess
    roles: frozenset[Role]

    @property
    def client(self) -> Client:
        return self.access.client


@dataclass
class Places:
    agencies: list[Agency] = field(default_factory=list)  # whose people the caller manages (owners)
    agency_views: list[Agency] = field(default_factory=list)  # whose people the caller sees (owners, staff)
    clients: list[ClientPlace] = field(default_factory=list)

    def client(self, slug: str) -> ClientPlace | None:
        return next((place for place in self.clients if place.client.slug == slug), None)

    def agency(self, pk) -> Agency | None:
        return next((agency for agency in self.agencies if str(agency.pk) == str(pk)), None)


def places_managed_by(user) -> Places:
    """Agencies and active client accounts where ``user`` may invite someone."""
    places = Places()
    if user is None or not user.is_authenticated or not user.is_active:
        return places
    agencies = Agency.objects.order_by("name")
    if user.is_superuser:
        places.agencies = places.agency_views = list(agencies)
    else:
        roles = dict(Membership.objects.filter(user_id=user.pk, agency__isnull=False).values_list("agency_id", "role"))
        # A suspended agency's people reach nothing (tenants.access): nor its people page.
        places.agency_views = list(agencies.filter(pk__in=roles, suspended_at__isnull=True))
        places.agencies = [agency for agency in places.agency_views if roles[agency.pk] == Role.OWNER]
    places.clients = [
        ClientPlace(access, CLIENT_ROLES_INVITED_BY[access.role])
        for access in clients_visible_to(user)
        if CLIENT_ROLES_INVITED_BY[access.role]
    ]
    return places


def manageable_client(user, slug: str) -> ClientAccess | None:
    """``user``'s access to the active client ``slug``, or ``None`` when it does not exist for them."""
    client = Client.objects.accounts().select_related("agency").filter(slug=slug).first()
    return client_access_for(user, client)


def client_members(client: Client) -> QuerySet[Membership]:
    """The client's own members (manager, sales, viewer), by email."""
    return Membership.objects.filter(client=client).select_related("user").order_by("user__email")


def agency_people(agency: Agency | None) -> QuerySet[Membership]:
    """The agency's owners and staff (they reach every client of the agency), by email."""
    return Membership.objects.filter(agency=agency).select_related("user").order_by("user__email")


def open_invitations_for(user, places: Places | None = None) -> QuerySet[Invitation]:
    """Open invitations (pending or expired) ``user`` may resend or revoke: to agencies they own, and
    to their clients in the roles they may give there."""
    places = places if places is not None else places_managed_by(user)
    if not places.agencies and not places.clients:
        return Invitation.objects.none()
    # One condition per set of roles (two at most), not one per client.
    clients_by_roles: dict[frozenset[Role], list[int]] = {}
    for place in places.clients:
        clients_by_roles.setdefault(place.roles, []).append(place.client.pk)
    visible = Q(agency__in=places.agencies)
    for roles, clients in clients_by_roles.items():
        visible |= Q(client__in=clients, role__in=sorted(roles))
    return (
        Invitation.objects.open()
        .filter(visible)
        .select_related("agency", "client", "invited_by")
        .order_by("-created_at", "-pk")
    )
