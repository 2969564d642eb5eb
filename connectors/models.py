"""Platform connections and the sources they feed (public schema; docs/connectors.md).

A ``Connection`` is one agency's OAuth grant on one platform (Google or Meta), made once by an agency
person; its tokens are Fernet-encrypted (config/crypto.py), never stored in clear. A ``Source`` is one
client account fed by one platform account of that grant: a GA4 property, a Search Console site, a
Google Ads customer or a Meta ad account. Both live in the public schema, beside the clients, so that
beat finds the syncs due and the portfolio every source's health in one query each."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import FactCoverage, FactSource


class Provider(models.TextChoices):
    GOOGLE = "google", _("Google")
    META = "meta", _("Meta")


class SourceKind(models.TextChoices):
    """The platforms a client is fed from; each value is also the ``FactSource`` of its rows."""

    GA4 = FactSource.GA4.value, _("Google Analytics 4")
    SEARCH_CONSOLE = FactSource.SEARCH_CONSOLE.value, _("Google Search Console")
    GOOGLE_ADS = FactSource.GOOGLE_ADS.value, _("Google Ads")
    META_ADS = FactSource.META_ADS.value, _("Meta Ads")


PROVIDER_OF_KIND = {
    SourceKind.GA4: Provider.GOOGLE,
    SourceKind.SEARCH_CONSOLE: Provider.GOOGLE,
    SourceKind.GOOGLE_ADS: Provider.GOOGLE,
    SourceKind.META_ADS: Provider.META,
}
# The facts each source writes (and covers: campaigns.models.FactCoverage).
FACT_OF_KIND = {
    SourceKind.GA4: FactCoverage.Fact.TRAFFIC,
    SourceKind.SEARCH_CONSOLE: FactCoverage.Fact.KEYWORD,
    SourceKind.GOOGLE_ADS: FactCoverage.Fact.SPEND,
    SourceKind.META_ADS: FactCoverage.Fact.SPEND,
}


class ConnectionStatus(models.TextChoices):
    ACTIVE = "active", _("Connected")
    # The platform refused the grant (revoked, expired refresh token): an agency person reconnects.
    BROKEN = "broken", _("Broken")


class Connection(models.Model):
    agency = models.ForeignKey(
        "tenants.Agency", verbose_name=_("agency"), related_name="connections", on_delete=models.CASCADE
    )
    provider = models.CharField(_("platform"), max_length=16, choices=Provider.choices)
    # Who the grant is (the platform's account email or name), to show on the connect screen.
    account_label = models.CharField(_("account"), max_length=300, blank=True)
    # Fernet tokens (config.crypto): the columns never hold a token in clear.
    access_token = models.TextField(_("access token (encrypted)"), blank=True)
    refresh_token = models.TextField(_("refresh token (encrypted)"), blank=True)
    expires_at = models.DateTimeField(_("access token expires"), null=True, blank=True)
    scopes = models.TextField(_("scopes granted"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=ConnectionStatus.choices, default=ConnectionStatus.ACTIVE
    )
    broken_reason = models.CharField(_("why it broke"), max_length=500, blank=True)
    connected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("connected by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    connected_at = models.DateTimeField(_("connected"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("platform connection")
        verbose_name_plural = _("platform connections")
        ordering = ["agency_id", "provider"]
        constraints = [
            models.UniqueConstraint(fields=["agency", "provider"], name="connection_one_per_agency_provider"),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} ({self.account_label or self.agency_id})"


class SourceStatus(models.TextChoices):
    # Chosen, its backfill not done yet.
    PENDING = "pending", _("Backfill pending")
    OK = "ok", _("Syncing")
    # The last run failed (the error says why); the next run tries again.
    FAILING = "failing", _("Failing")
    # The grant is refused, or the account is no longer reachable: nothing runs until fixed.
    BROKEN = "broken", _("Broken")


class Source(models.Model):
    client = models.ForeignKey(
        "tenants.Client", verbose_name=_("client account"), related_name="sources", on_delete=models.CASCADE
    )
    connection = models.ForeignKey(
        Connection, verbose_name=_("connection"), related_name="sources", on_delete=models.CASCADE
    )
    kind = models.CharField(_("platform"), max_length=16, choices=SourceKind.choices)
    # The platform's id of the account: "properties/123456", "sc-domain:example.fr", a Google Ads
    # customer id of 10 digits, "act_123456789".
    external_id = models.CharField(_("account id"), max_length=200)
    external_name = models.CharField(_("account name"), max_length=300, blank=True)
    # Google Ads: the manager account the agency works through (sent as login-customer-id).
    login_customer_id = models.CharField(_("manager account id"), max_length=10, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=SourceStatus.choices, default=SourceStatus.PENDING)
    # Health, shown beside the source and on the portfolio.
    last_run_at = models.DateTimeField(_("last run"), null=True, blank=True)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_rows_written = models.PositiveIntegerField(_("rows written by the last success"), default=0)
    last_error = models.CharField(_("last error"), max_length=1000, blank=True)
    next_run_at = models.DateTimeField(_("next run"), null=True, blank=True)
    # The first day the backfill read and the last complete day read so far (the coverage's days).
    first_day = models.DateField(_("first day read"), null=True, blank=True)
    last_day = models.DateField(_("last day read"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("chosen by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("chosen"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("data source")
        verbose_name_plural = _("data sources")
        ordering = ["client_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["client", "kind"], name="source_one_per_client_kind"),
        ]
        indexes = [
            models.Index(fields=["next_run_at"], name="source_due", condition=~Q(status="broken")),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.external_name or self.external_id}"

    @property
    def provider(self) -> str:
        return PROVIDER_OF_KIND[SourceKind(self.kind)]

    @property
    def fact(self) -> str:
        return FACT_OF_KIND[SourceKind(self.kind)]
