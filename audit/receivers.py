"""What the audit log records when a lower layer announces a change (``config.events``); connected in
AuditConfig.ready. Each receiver runs in the sender's transaction."""

from __future__ import annotations

from django.db.models import Q

from audit.models import AuditAction
from audit.services import audit_record
from tenants.models import Agency, Client


def _agencies_of(user) -> list[Agency | None]:
    """The agencies whose clients ``user`` reaches, as agency people or as a client's people: their
    token reaches those clients, so each of those agencies' logs shows it. [None] (the platform's log
    only) for someone outside every agency, such as platform staff."""
    if user is None:
        return [None]
    reached = Q(memberships__user_id=user.pk) | Q(clients__memberships__user_id=user.pk)
    return list(Agency.objects.filter(reached).distinct().order_by("pk")) or [None]


def _token_event(action: AuditAction, actor, token) -> None:
    for agency in _agencies_of(actor):
        audit_record(
            actor=actor, action=action, agency=agency, target=token.token_key, details={"expiry": token.expiry}
        )


def token_created(sender, *, actor, token, **kwargs) -> None:
    _token_event(AuditAction.TOKEN_CREATED, actor, token)


def token_revoked(sender, *, actor, token, **kwargs) -> None:
    _token_event(AuditAction.TOKEN_REVOKED, actor, token)


def _client_event(action: AuditAction, actor, client: Client, details: dict | None = None) -> None:
    audit_record(actor=actor, action=action, client=client, target=client.slug, details=details)


def client_created(sender, *, actor, client: Client, **kwargs) -> None:
    _client_event(AuditAction.CLIENT_CREATED, actor, client)


def client_updated(sender, *, actor, client: Client, changes: dict | None = None, **kwargs) -> None:
    _client_event(AuditAction.CLIENT_UPDATED, actor, client, changes)


def client_archived(sender, *, actor, client: Client, **kwargs) -> None:
    _client_event(AuditAction.CLIENT_ARCHIVED, actor, client)


def client_restored(sender, *, actor, client: Client, **kwargs) -> None:
    _client_event(AuditAction.CLIENT_RESTORED, actor, client)


def agency_suspended(sender, *, actor, agency: Agency, **kwargs) -> None:
    audit_record(actor=actor, action=AuditAction.AGENCY_SUSPENDED, agency=agency, target=agency.name)


def agency_reinstated(sender, *, actor, agency: Agency, **kwargs) -> None:
    audit_record(actor=actor, action=AuditAction.AGENCY_REINSTATED, agency=agency, target=agency.name)
