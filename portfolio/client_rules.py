"""Who may create, change, archive and restore client accounts: the one rule behind the portfolio's
pages and the clients API (``portfolio/api_clients.py``).

- Agency owners and staff create client accounts for their agency, change the settings of its
  clients and archive them.
- Agency owners also see its archived clients and restore them.
- Platform superusers do all of it, for every agency.
- A client's managers, sales and viewers do none of it: they see the client account, its settings
  are the agency's (403 where they may read, as for any write their role does not allow).

A suspended agency's people do nothing (``tenants.access`` fails closed for its clients). An archived
client account exists only for the owners of its agency (and superusers): for everybody else, its
members and the agency's staff included, it is a 404 like a client that does not exist, which is what
"its people lose access at once" means.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.db.models import QuerySet

from config.throttling import Quota
from tenants.access import ClientAccess, client_access_for
from tenants.agency_rules import agencies_acted_for
from tenants.models import AGENCY_ROLES, Agency, Client, Membership, Role

# Each client account is a schema of a few hundred tables and indexes (~0.2 s): one person creating more
# than this in an hour is a script gone wrong, not an agency at work.
CLIENT_CREATIONS = Quota(scope="client_create_user", limit=20, window=timedelta(hours=1))


def creation_quota_key(user) -> str:
    return f"user:{user.pk}"


@dataclass(frozen=True)
class ClientAccount:
    """A client account as the caller may handle it: their role there, and whether it is archived."""

    client: Client
    role: Role

    @property
    def archived(self) -> bool:
        return not self.client.is_active

    @property
    def is_agency(self) -> bool:
        """Agency owners and staff (and superusers): they change its settings and archive it."""
        return self.role in AGENCY_ROLES

    @property
    def can_change(self) -> bool:
        """Whether its settings may be changed now (an archived account is restored first)."""
        return self.is_agency and not self.archived

    @property
    def can_restore(self) -> bool:
        """Restore it (restoring an active account changes nothing)."""
        return self.role == Role.OWNER


def _signed_in(user) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def agencies_creating_clients(user) -> list[Agency]:
    """The agencies ``user`` may create client accounts for: those they act for
    (``tenants.agency_rules``: owners and staff; superusers: every agency), by name. One query."""
    return agencies_acted_for(user)


def archived_clients_for(user) -> QuerySet[Client]:
    """The archived client accounts ``user`` may see and restore: those of the agencies they own (every
    archived one for superusers), by name. One query when evaluated."""
    if not _signed_in(user):
        return Client.objects.none()
    archived = Client.objects.accounts().filter(is_active=False).select_related("agency").order_by("name", "pk")
    if user.is_superuser:
        return archived
    owned = Membership.objects.filter(user_id=user.pk, role=Role.OWNER, agency__suspended_at__isnull=True).values_list(
        "agency_id", flat=True
    )
    return archived.filter(agency_id__in=owned)


def client_account_for(user, slug: str) -> ClientAccount | None:
    """The client account ``slug`` as ``user`` may handle it: an active one they may enter (any role),
    or an archived one of an agency they own; ``None`` otherwise (a 404)."""
    if not _signed_in(user) or not isinstance(slug, str):
        return None
    client = Client.objects.accounts().select_related("agency").filter(slug=slug).first()
    if client is None:
        return None
    if client.is_active:
        access = client_access_for(user, client)
        return ClientAccount(client, access.role) if access is not None else None
    if archived_clients_for(user).filter(pk=client.pk).exists():
        return ClientAccount(client, Role.OWNER)
    return None


def client_account_of(access: ClientAccess) -> ClientAccount:
    return ClientAccount(access.client, access.role)
