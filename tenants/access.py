"""The one access check. Every tenant page (middleware), API endpoint (DRF permission) and the
tenant admin (admin site) asks :func:`client_access_for`; none decides on its own.

It fails closed: no user, an inactive user, an unknown, inactive or public "client", a client of a
suspended agency, or no membership all give ``None``, which callers turn into a 404 so nobody learns
a client exists.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet
from django_tenants.utils import get_public_schema_name

from tenants.models import AGENCY_ROLES, Client, Membership, Role

# Higher wins when a user holds several memberships reaching the same client.
ROLE_RANK = {Role.VIEWER: 0, Role.SALES: 1, Role.MANAGER: 2, Role.STAFF: 3, Role.OWNER: 4}
MANAGING_ROLES = frozenset({Role.OWNER, Role.STAFF, Role.MANAGER})


@dataclass(frozen=True)
class ClientAccess:
    """What one user may do in one client account."""

    client: Client
    role: Role

    @property
    def can_write(self) -> bool:
        """Change CRM and marketing data (everyone but viewers)."""
        return self.role != Role.VIEWER

    @property
    def can_manage(self) -> bool:
        """Settings, objectives, imports, the client's admin."""
        return self.role in MANAGING_ROLES

    @property
    def is_agency(self) -> bool:
        return self.role in AGENCY_ROLES


def client_is_reachable(client: Client | None) -> bool:
    """A saved, active, non-public client account."""
    return (
        client is not None
        and client.pk is not None
        and client.is_active
        and client.schema_name != get_public_schema_name()
    )


def client_access_for(user, client: Client | None) -> ClientAccess | None:
    """The strongest role ``user`` holds on ``client``, or ``None``. One query at most."""
    if user is None or not user.is_authenticated or not user.is_active or not client_is_reachable(client):
        return None
    if user.is_superuser:
        return ClientAccess(client=client, role=Role.OWNER)
    # Through the membership's own client or agency row, the client's agency must not be suspended:
    # one condition in the same query, so the check still costs one query.
    reaches_client = Q(client_id=client.pk, client__agency__suspended_at__isnull=True)
    if client.agency_id is not None:
        reaches_client |= Q(agency_id=client.agency_id, agency__suspended_at__isnull=True)
    roles = Membership.objects.filter(reaches_client, user_id=user.pk).values_list("role", flat=True)
    best = max((Role(r) for r in roles), key=ROLE_RANK.__getitem__, default=None)
    return ClientAccess(client=client, role=best) if best is not None else None


@dataclass(frozen=True)
class Visibility:
    """Which client accounts one user may enter, as a rule SQL applies (:meth:`clients`) rather than a
    list: the portfolio sorts, filters and pages it in the database, and turns only the clients of the
    page shown into :class:`ClientAccess` (:meth:`access`, no query). Built from the user's memberships
    (one query, as many rows as the user has memberships, never one per client)."""

    superuser: bool = False
    agency_roles: dict[int, Role] = field(default_factory=dict)  # agency id → role
    client_roles: dict[int, Role] = field(default_factory=dict)  # client id → role

    def clients(self) -> QuerySet[Client]:
        """Every active client account reachable, unordered (fails closed: nothing without memberships);
        the clients of a suspended agency left out, except for superusers, as in :func:`client_access_for`."""
        clients = Client.objects.accounts().filter(is_active=True)
        if self.superuser:
            return clients
        if not self.agency_roles and not self.client_roles:
            return clients.none()
        return clients.filter(agency__suspended_at__isnull=True).filter(
            Q(agency_id__in=list(self.agency_roles)) | Q(pk__in=list(self.client_roles))
        )

    def agency_clients(self) -> QuerySet[Client]:
        """Those reached with an agency role (owner, staff): the people who get the portfolio."""
        if self.superuser:
            return self.clients()
        agencies = [a for a, role in self.agency_roles.items() if role in AGENCY_ROLES]
        clients = [c for c, role in self.client_roles.items() if role in AGENCY_ROLES]
        return self.clients().filter(Q(agency_id__in=agencies) | Q(pk__in=clients))

    def access(self, client: Client) -> ClientAccess:
        """The role held on ``client``, one of :meth:`clients` (no query)."""
        if self.superuser:
            return ClientAccess(client=client, role=Role.OWNER)
        candidates = [r for r in (self.agency_roles.get(client.agency_id), self.client_roles.get(client.pk)) if r]
        return ClientAccess(client=client, role=max(candidates, key=ROLE_RANK.__getitem__))

    def sole_agency_id(self) -> int | None:
        """The agency of every client reachable, when the user reaches clients through one agency
        membership and nothing else (no client membership, not a superuser); None otherwise."""
        if self.superuser or self.client_roles or len(self.agency_roles) != 1:
            return None
        return next(iter(self.agency_roles))

    def owns_agency(self, agency_id: int) -> bool:
        """Whether the user holds the owner role on the clients of ``agency_id`` (superusers on all)."""
        return self.superuser or self.agency_roles.get(agency_id) == Role.OWNER


def visibility_for(user) -> Visibility:
    """The user's :class:`Visibility` (nothing for no user, an inactive one or no membership)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Visibility()
    if user.is_superuser:
        return Visibility(superuser=True)
    memberships = list(Membership.objects.filter(user_id=user.pk).values_list("agency_id", "client_id", "role"))
    return Visibility(
        agency_roles={agency: Role(role) for agency, client, role in memberships if agency is not None},
        client_roles={client: Role(role) for agency, client, role in memberships if client is not None},
    )


def clients_visible_to(user) -> list[ClientAccess]:
    """Every active client account ``user`` may enter, with the role held there, sorted by name: the
    whole list, for the client switcher and the like (the portfolio pages :meth:`Visibility.clients`)."""
    visibility = visibility_for(user)
    clients = visibility.clients().select_related("agency").order_by("name")
    return [visibility.access(client) for client in clients]


def agency_suspended_for(user) -> bool:
    """Whether every way ``user`` has into Pouls goes through a suspended agency: then they may not
    log in. Platform staff and people without any membership are never suspended. One query."""
    if user.is_staff or user.is_superuser:
        return False
    open_way = Q(agency__isnull=False, agency__suspended_at__isnull=True) | Q(
        client__isnull=False, client__agency__suspended_at__isnull=True
    )
    counts = Membership.objects.filter(user_id=user.pk).aggregate(all=Count("pk"), open=Count("pk", filter=open_way))
    return counts["all"] > 0 and counts["open"] == 0
