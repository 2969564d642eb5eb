"""Invitations (public schema): an email with a single-use link that gives its holder a membership."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tenants.models import AGENCY_ROLES, CLIENT_ROLES, Agency, Client, Role


class InvitationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    EXPIRED = "expired", _("Expired")
    ACCEPTED = "accepted", _("Accepted")
    REVOKED = "revoked", _("Revoked")


class InvitationQuerySet(models.QuerySet):
    def open(self) -> InvitationQuerySet:
        """Neither accepted nor revoked (pending, or expired and waiting for a resend)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An invitation to a role, shaped like the membership it becomes: an agency role (owner, staff)
    on an agency, or a client role (manager, sales, viewer) on one client account.

    The link's token is never stored: only a keyed hash of it (``accounts.invitations.token_hash``),
    so a copy of the database cannot be turned into working links. A resend replaces the hash, which
    kills the previous link.
    """

    email = models.EmailField(_("email"))
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), related_name="invitations", on_delete=models.CASCADE, null=True, blank=True
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client account"),
        related_name="invitations",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        related_name="invitations_sent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("last sent"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                name="invitation_agency_xor_client",
                condition=(
                    Q(agency__isnull=False, client__isnull=True, role__in=[r.value for r in AGENCY_ROLES])
                    | Q(agency__isnull=True, client__isnull=False, role__in=[r.value for r in CLIENT_ROLES])
                ),
            ),
            # One open invitation per person and place: a second one would be a second live link.
            models.UniqueConstraint(
                fields=["email", "agency"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True, agency__isnull=False),
                name="invitation_one_open_per_agency",
            ),
            models.UniqueConstraint(
                fields=["email", "client"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True, client__isnull=False),
                name="invitation_one_open_per_client",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} · {self.get_role_display()} · {self.agency or self.client}"

    @property
    def status(self) -> InvitationStatus:
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def place(self) -> Agency | Client:
        """What the invitation opens: the agency (agency roles) or the client account."""
        return self.agency if self.agency_id is not None else self.client


class DigestPreference(models.Model):
    """What a person wants of the agency digest (alerts.digest): no row is the defaults, the digest on
    and nothing sent in a calm week. Who may change it and how is accounts.profile's rule."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        related_name="digest_preference",
        on_delete=models.CASCADE,
        primary_key=True,
    )
    enabled = models.BooleanField(_("weekly digest"), default=True)
    when_calm = models.BooleanField(_("send it even when all is well"), default=False)

    class Meta:
        verbose_name = _("digest preference")
        verbose_name_plural = _("digest preferences")

    def __str__(self) -> str:
        return f"{self.user_id} digest {'on' if self.enabled else 'off'}"


class DigestSendStatus(models.TextChoices):
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    CALM = "calm", _("Nothing to report")
    FAILED = "failed", _("Failed")


class DigestSend(models.Model):
    """One person's digest of one agency for one week (its Monday, in the agency's zone). The row is
    written, in its own transaction, before the mail is sent: its unique key is what keeps a second
    tick or a second beat from sending the same week twice (docs/digest.md)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), related_name="digest_sends", on_delete=models.CASCADE
    )
    agency = models.ForeignKey(Agency, verbose_name=_("agency"), related_name="digest_sends", on_delete=models.CASCADE)
    week_start = models.DateField(_("week"))
    status = models.CharField(_("status"), max_length=8, choices=DigestSendStatus.choices)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    clients = models.PositiveIntegerField(_("client accounts listed"), default=0)
    error = models.TextField(_("error"), blank=True, default="")
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("digest sent")
        verbose_name_plural = _("digests sent")
        ordering = ["-week_start", "agency", "user"]
        constraints = [models.UniqueConstraint(fields=["user", "agency", "week_start"], name="digest_send_once_a_week")]

    def __str__(self) -> str:
        return f"{self.user_id} · {self.agency_id} · {self.week_start} · {self.status}"
