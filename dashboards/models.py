"""Which KPI cards a client's dashboard pins at its top, and in what order: the client's default
(set by a manager) and, optionally, one person's own choice, which wins for them; the agency's
branding of the dashboard; and the read-only links that share it with people without an account."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kpis.models import PeriodKind
from tenants.models import Client


class PinnedCards(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
        help_text=_("Empty: the client's default for everyone."),
    )
    kpis = ArrayField(models.CharField(max_length=40), verbose_name=_("pinned KPIs, in order"))
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        verbose_name = _("pinned KPI cards")
        verbose_name_plural = _("pinned KPI cards")
        constraints = [models.UniqueConstraint(fields=["user"], name="pinned_cards_one_per_user", nulls_distinct=False)]

    def __str__(self) -> str:
        return ", ".join(self.kpis)


brand_color_validator = RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as #rrggbb."))


class Branding(models.Model):
    """An agency's logo and colour on one client's dashboard. Its own table, so the logo's bytes
    are read only by the pages that show it, never with every request's client.

    Unlike the other tables of this (tenant) app, this one is in the public schema, as it was when
    the model belonged to ``tenants`` (migrations tenants 0005, moved by dashboards 0002 and tenants
    0007 without touching the table): one row per client account, keyed by the client. A client's
    requests read it through their search path (the client's schema, then public)."""

    client = models.OneToOneField(
        Client, verbose_name=_("client account"), related_name="branding", on_delete=models.CASCADE, primary_key=True
    )
    color = models.CharField(
        _("colour"),
        max_length=7,
        blank=True,
        validators=[brand_color_validator],
        help_text=_("A hex colour such as #0a7d5a; empty: Pouls' own."),
    )
    logo = models.BinaryField(_("logo"), null=True, blank=True)
    logo_type = models.CharField(_("logo type"), max_length=20, blank=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)

    class Meta:
        db_table = "tenants_branding"
        verbose_name = _("branding")
        verbose_name_plural = _("brandings")

    def __str__(self) -> str:
        return f"{self.client_id} {self.color}"


class ShareRange(models.TextChoices):
    """A share link's period, in the dashboard's own terms (``dashboards.state``): rolling ones are
    resolved on each visit, in the client's zone."""

    LAST = "last", _("Last complete period")
    THIS = "this", _("Period to date")
    CUSTOM = "custom", _("Fixed dates")


class ShareLink(models.Model):
    """A read-only link to this client's dashboard for people without an account
    (``dashboards.sharing``). Only the token's SHA-256 is kept: the URL is shown once, at creation,
    and a copy of the table (a backup, a leak) opens nothing."""

    token_hash = models.CharField(_("token (SHA-256)"), max_length=64, unique=True, editable=False)
    label = models.CharField(_("label"), max_length=100)
    period = models.CharField(
        _("period"),
        max_length=10,
        choices=[(k, k.label) for k in (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER)],
    )
    range = models.CharField(_("range"), max_length=10, choices=ShareRange.choices)
    date_from = models.DateField(_("from"), null=True, blank=True)
    date_to = models.DateField(_("to"), null=True, blank=True)
    password = models.CharField(_("password (hashed)"), max_length=128, blank=True, help_text=_("Empty: none."))
    expires_at = models.DateTimeField(_("expires"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    # Users live in the public schema: no database constraint across schemas (as PinnedCards).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        related_name="+",
        db_constraint=False,
    )
    created_by_email = models.EmailField(_("created by (email)"), blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    use_count = models.PositiveIntegerField(_("uses"), default=0)

    class Meta:
        verbose_name = _("share link")
        verbose_name_plural = _("share links")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(range="custom", date_from__isnull=False, date_to__isnull=False)
                    | (~models.Q(range="custom") & models.Q(date_from__isnull=True, date_to__isnull=True))
                ),
                name="share_link_fixed_dates_only_when_fixed",
            ),
            models.CheckConstraint(
                condition=models.Q(date_from__lte=models.F("date_to")) | models.Q(date_from__isnull=True),
                name="share_link_dates_in_order",
            ),
            models.CheckConstraint(
                condition=models.Q(expires_at__gt=models.F("created_at")), name="share_link_expires_after_creation"
            ),
        ]

    def __str__(self) -> str:
        return self.label
