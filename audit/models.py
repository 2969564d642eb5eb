"""The audit log (public schema): who did what, when, to an agency's client accounts, people, leads and
API tokens. Rows are only ever added, by :func:`audit.services.audit_record`; a database trigger
(migration 0001) refuses every UPDATE and DELETE, except the one Django itself makes when a row an
event points to is deleted: the foreign key is set to NULL, and the event keeps its snapshot (the
actor's email, the target's text)."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from tenants.models import Agency, Client, Role


class AuditAction(models.TextChoices):
    CLIENT_CREATED = "client_created", _("Client account created")
    CLIENT_UPDATED = "client_updated", _("Client account changed")
    CLIENT_ARCHIVED = "client_archived", _("Client account archived")
    CLIENT_RESTORED = "client_restored", _("Client account restored")
    INVITATION_SENT = "invitation_sent", _("Invitation sent")
    INVITATION_RESENT = "invitation_resent", _("Invitation sent again")
    INVITATION_ACCEPTED = "invitation_accepted", _("Invitation accepted")
    INVITATION_REVOKED = "invitation_revoked", _("Invitation revoked")
    ROLE_CHANGED = "role_changed", _("Role changed")
    MEMBER_REMOVED = "member_removed", _("Member removed")
    LEAD_EXPORTED = "lead_exported", _("Lead exported")
    LEAD_ERASED = "lead_erased", _("Lead erased")
    TOKEN_CREATED = "token_created", _("API token created")
    TOKEN_REVOKED = "token_revoked", _("API token revoked")
    AGENCY_SIGNED_UP = "agency_signed_up", _("Agency signed up")
    AGENCY_SUSPENDED = "agency_suspended", _("Agency suspended")
    AGENCY_REINSTATED = "agency_reinstated", _("Agency reinstated")
    SHARE_LINK_CREATED = "share_link_created", _("Share link created")
    SHARE_LINK_REVOKED = "share_link_revoked", _("Share link revoked")
    SHARE_LINK_OPENED = "share_link_opened", _("Share link opened")


class AuditEvent(models.Model):
    """One thing that happened. ``agency`` is whose log shows it (null: the platform's only, such as a
    token of someone outside every agency); ``target`` names what it happened to in words that outlive
    it (an invited email, a lead's id, a token's key); ``details`` holds the rest (a role's old and new
    value, the fields a change touched)."""

    at = models.DateTimeField(_("when"), default=timezone.now, editable=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("who"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    # The actor's email when it happened: the log still says who once the account is gone.
    actor_email = models.EmailField(_("who (email)"), blank=True)
    agency = models.ForeignKey(
        Agency,
        verbose_name=_("agency"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_index=False,  # the (agency, at, id) index below leads with it
    )
    client = models.ForeignKey(
        Client, verbose_name=_("client account"), related_name="+", on_delete=models.SET_NULL, null=True, blank=True
    )
    action = models.CharField(_("action"), max_length=32, choices=AuditAction.choices)
    target = models.CharField(_("object"), max_length=254, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-at", "-id"]
        indexes = [
            # Every reading lists one agency's events, newest first.
            models.Index(fields=["agency", "-at", "-id"], name="audit_event_agency_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email or '—'} {self.action} {self.target}"

    def detail_lines(self) -> list[tuple[str, object]]:
        """``details`` as the log shows them: each fact by its name in the reader's language, a role by
        its label, an instant (kept as ISO text) as a date-time the page writes in its zone and
        language, a yes/no in words; anything else as it was recorded."""
        return [(_detail_label(key), _detail_value(key, value)) for key, value in self.details.items()]


DETAIL_LABELS = {
    "expiry": _("expires"),
    "role": _("role"),
    "old_role": _("previous role"),
    "new_role": _("new role"),
    "new_account": _("new account"),
    "name": _("name"),
}
ROLE_DETAILS = frozenset({"role", "old_role", "new_role"})


def _detail_label(key: str) -> str:
    if key in DETAIL_LABELS:
        return DETAIL_LABELS[key]
    try:  # a client account's setting (a change's fields)
        return Client._meta.get_field(key).verbose_name
    except FieldDoesNotExist:
        return key


def _detail_value(key: str, value):
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if key in ROLE_DETAILS and value in Role.values:
        return Role(value).label
    # DjangoJSONEncoder wrote instants as ISO text; a plain date or a name is left alone.
    if isinstance(value, str) and "T" in value and (instant := parse_datetime(value)) is not None:
        return instant
    return value
