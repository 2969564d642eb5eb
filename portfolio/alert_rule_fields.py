"""The fields of an alert rule, shared by a client's own rules (``alerts.AlertRule``, client schema)
and the defaults an agency sets for all its clients (``portfolio.AgencyAlertRule``, public schema).
They live here, below alerts, because the agency's defaults are a public-schema table of portfolio;
their validation is ``alerts.rules`` (one home for both)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

MAX_CHANNELS = 10
DEFAULT_PACING_THRESHOLD = 90  # percent: pacing (or the month-end projection) below 90 % of the objective
DEFAULT_STALE_DAYS = 3


class AlertKind(models.TextChoices):
    STATUS_RED = "status_red", _("A status turns red")
    ANOMALY = "anomaly", _("An anomaly is flagged")
    PACING = "pacing", _("Pacing or projection below a threshold")
    STALE = "stale", _("Data is stale")


class StaleSource(models.TextChoices):
    """What a stale rule watches: nothing new from that source for N days (a failed import: any
    import job that failed in the last N days)."""

    ANY = "any", _("No lead, visit, spend or email event")
    LEADS = "leads", _("No lead")
    VISITS = "visits", _("No visit")
    SPEND = "spend", _("No spend")
    EMAIL_EVENTS = "email_events", _("No email event")
    CAPTURE_FORM = "capture_form", _("A capture form silent")
    TRACKING = "tracking", _("Tracking snippet silent")
    EMAIL_WEBHOOK = "email_webhook", _("Email webhook silent")
    IMPORT_FAILED = "import_failed", _("A failed import")
    # A platform source (connectors.Source) broken, or without a successful sync for N days.
    CONNECTOR = "connector", _("A platform source broken or silent")


class AlertRuleFields(models.Model):
    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    # A KPI key (built-in or, for a client's own rule, custom); empty: every KPI.
    kpi = models.CharField(_("KPI"), max_length=40, blank=True, default="", db_collation="C")
    # A dimension and optionally one of its keys (e.g. channel / google); empty: the totals.
    dimension = models.CharField(_("dimension"), max_length=16, blank=True, default="", db_collation="C")
    key = models.CharField(_("key"), max_length=300, blank=True, default="", db_collation="C")
    threshold = models.PositiveSmallIntegerField(
        _("threshold (%)"),
        default=DEFAULT_PACING_THRESHOLD,
        help_text=_("Pacing rules: alert when pacing or the month-end projection falls below this percentage."),
    )
    stale_days = models.PositiveSmallIntegerField(
        _("days without data"), default=DEFAULT_STALE_DAYS, help_text=_("Stale rules: how many days of silence.")
    )
    stale_source = models.CharField(
        _("watched source"), max_length=16, choices=StaleSource.choices, default=StaleSource.ANY, blank=True
    )
    # [{"type": "email", "to"}, {"type": "webhook", "url", "secret"}, {"type": "slack"|"teams", "url"}]
    channels = models.JSONField(_("channels"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.kpi or ''}".strip()
