"""Who may invite whom: the one rule behind invitations and member management, pages and API alike.

- an agency owner: staff and owners to the agency; managers, sales and viewers to any of its clients;
- agency staff: managers, sales and viewers to any client of the agency;
- a client's manager: sales and viewers to that client;
- sales and viewers: nobody.

Platform superusers may do everything. Changing a member's role or removing them follows the same rule:
you may manage a membership whose role you could invite (and, for a change, whose new role you could
invite too). A client that is archived (inactive) cannot be reached: nobody invites to it or manages its
members. Roles are read from the database on every call (``tenants.access``), never from the session, so
a change is effective on the caller's next request.
"""

from __future__ import annotations

from tenants.access import client_access_for
from tenants.models import AGENCY_ROLES, CLIENT_ROLES, Agency, Client, Membership, Role

# What each role held on a client may invite to that client.
CLIENT_ROLES_INVITED_BY = {
    Role.OWNER: frozenset(CLIENT_ROLES),
    Role.STAFF: frozenset(CLIENT_ROLES),
    Role.MANAGER: frozenset({Role.SALES, Role.VIEWER}),
    Role.SALES: frozenset(),
    Role.VIEWER: frozenset(),
}


def is_agency_owner(user, agency: Agency | None) -> bool:
    if agency is None or user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    if agency.is_suspended:  # its people reach nothing (tenants.access), invite nobody either
        return False
    return Membership.objects.filter(user_id=user.pk, agency=agency, role=Role.OWNER).exists()


def client_roles_user_may_invite(user, client: Client | None) -> frozenset[Role]:
    """The client roles ``user`` may give on ``client`` (empty when they cannot reach it)."""
    access = client_access_for(user, client)
    return CLIENT_ROLES_INVITED_BY[access.role] if access is not None else frozenset()


def may_invite(user, role: str, *, agency: Agency | None = None, client: Client | None = None) -> bool:
    """Whether ``user`` may give ``role`` on ``agency`` (agency roles) or ``client`` (client roles)."""
    if role in AGENCY_ROLES:
        return client is None and is_agency_owner(user, agency)
    if role in CLIENT_ROLES:
        return agency is None and Role(role) in client_roles_user_may_invite(user, client)
    return False


def may_manage_membership(user, membership: Membership, *, new_role: str | None = None) -> bool:
    """Whether ``user`` may remove ``membership`` or, with ``new_role``, change its role to that one."""
    place = {"agency": membership.agency, "client": membership.client}
    if not may_invite(user, membership.role, **place):
        return False
    return new_role is None or may_invite(user, new_role, **place)
