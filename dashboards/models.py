"""Which KPI cards a client's dashboard pins at its top, and in what order: the client's default
(set by a manager) and, optionally, one person's own choice, which wins for them; and the agency's
branding of the dashboard."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
