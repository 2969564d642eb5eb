"""The only writer of the audit log. Called in the caller's transaction, so an event is kept exactly
when the change it records is (a rolled-back invitation leaves no "invitation sent")."""

from __future__ import annotations

from typing import Any

from django.db import connection

from audit.models import AuditAction, AuditEvent
from tenants.models import Agency, Client


def audit_record(
    *,
    actor,
    action: AuditAction | str,
    agency: Agency | None = None,
    client: Client | None = None,
    target: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Add one event to the log of ``agency`` (default: ``client``'s agency). ``actor``: the user who
    did it (None: nobody signed in, such as a system step); their email is kept with the event.
    ``target``: what it happened to, in words that outlive it (an email, a lead's id, a token's key);
    ``details``: JSON-serialisable facts (dates and decimals are written as text)."""
    action = AuditAction(action)  # an unknown action is a programming error: ValueError
    if agency is None and client is not None:
        agency = client.agency
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if authenticated else None,
        actor_email=actor.email if authenticated else "",
        agency=agency,
        client=client,
        action=action,
        target=str(target)[: AuditEvent._meta.get_field("target").max_length],
        details=details or {},
    )


def audit_record_in_current_client(
    *, actor, action: AuditAction | str, target: str = "", details: dict[str, Any] | None = None
) -> AuditEvent:
    """:func:`audit_record` for the client account whose schema the connection is in: what a tenant
    app (leads: a lead exported or erased) records without knowing its client."""
    tenant = getattr(connection, "tenant", None)
    if not isinstance(tenant, Client) or tenant.pk is None:  # schema_context gives a stand-in, not the row
        tenant = Client.objects.select_related("agency").get(schema_name=connection.schema_name)
    return audit_record(actor=actor, action=action, client=tenant, target=target, details=details)
