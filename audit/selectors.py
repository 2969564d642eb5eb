"""Who may read the audit log, and what they see: an agency's owners read their agency's events, platform
superusers every event; nobody else reads any (staff, a client's managers, sales and viewers included,
and the owners of a suspended agency)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from audit.models import AuditEvent
from tenants.models import Client, Membership, Role


@dataclass(frozen=True)
class AuditReader:
    """What one user may read. ``agency_ids``: the agencies they own; None: every agency (superusers)."""

    agency_ids: tuple[int, ...] | None

    def events(self) -> QuerySet[AuditEvent]:
        """Newest first, with what a listing shows of each event (no query per row)."""
        events = AuditEvent.objects.select_related("agency", "client").order_by("-at", "-id")
        return events if self.agency_ids is None else events.filter(agency_id__in=self.agency_ids)

    def clients(self) -> QuerySet[Client]:
        """The client accounts their events may be filtered by, archived ones included."""
        clients = Client.objects.accounts().order_by("name")
        return clients if self.agency_ids is None else clients.filter(agency_id__in=self.agency_ids)


def audit_reader_for(user) -> AuditReader | None:
    """``user``'s reading rights, or None when they may read no audit log. One query at most."""
    if user is None or not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return AuditReader(agency_ids=None)
    # A suspended agency's people lose access (a token they still hold included); its log stays.
    owned = Membership.objects.filter(user_id=user.pk, role=Role.OWNER, agency__suspended_at__isnull=True)
    agency_ids = tuple(owned.order_by("agency_id").values_list("agency_id", flat=True))
    return AuditReader(agency_ids=agency_ids) if agency_ids else None
