"""The agency portfolio's data (public schema): each client's headline KPIs, copied from its own
snapshots at the end of every refresh, so that a page listing many clients reads one table instead
of querying across schemas (docs/architecture.md, "Beyond one machine")."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from portfolio.alert_rule_fields import AlertRuleFields
from tenants.models import Agency, Client

# Pouls' default columns, for an agency that has not chosen its own; also what "needs attention"
# watches (portfolio.services.headline_publish says why it does not follow the choice).
HEADLINE_KPIS = ("leads", "cost_per_lead", "lead_to_customer_rate", "mqls")
# What an agency may choose from (tenants.Agency.headline_kpis): every refresh publishes them all, so
# switching columns is instant. Totals that read across clients: counts, money, costs, a few rates.
HEADLINE_CANDIDATES = (
    "leads",
    "visits",
    "mqls",
    "sqls",
    "customers",
    "spend",
    "revenue",
    "roi",
    "cost_per_lead",
    "cost_per_mql",
    "cost_per_sql",
    "cost_per_customer",
    "lead_to_customer_rate",
    "visit_to_lead_rate",
    "lead_to_mql_rate",
)
MAX_HEADLINES = 6  # columns beside the client's name, its pacing, projection and sparkline
HEADLINE_MONTHS = 13  # the current month and the twelve before it (sparklines, change)


class Headline(models.Model):
    """One headline KPI of one client for one month (total row)."""

    client = models.ForeignKey(
        Client, verbose_name=_("client account"), related_name="headlines", on_delete=models.CASCADE
    )
    kpi = models.CharField(_("KPI"), max_length=40)
    start = models.DateField(_("month"))
    value = models.FloatField(_("value"), null=True)
    previous_value = models.FloatField(_("previous value"), null=True)
    change = models.FloatField(_("change"), null=True)
    target = models.FloatField(_("target"), null=True)
    status = models.CharField(_("status"), max_length=8, null=True)
    anomaly = models.CharField(_("anomaly"), max_length=4, null=True)
    is_partial = models.BooleanField(_("month in progress"), default=False)

    class Meta:
        verbose_name = _("headline KPI")
        verbose_name_plural = _("headline KPIs")
        ordering = ["client", "kpi", "start"]
        constraints = [models.UniqueConstraint(fields=["client", "kpi", "start"], name="headline_unique")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.kpi} {self.start}"


class Pulse(models.Model):
    """A client's state at its last refresh: when, pacing of its weekly objectives, what needs attention."""

    client = models.OneToOneField(
        Client, verbose_name=_("client account"), related_name="pulse", on_delete=models.CASCADE, primary_key=True
    )
    as_of = models.DateTimeField(_("as of"))
    last_full_at = models.DateTimeField(_("last full refresh"), null=True)
    pacing = models.FloatField(
        _("pacing"), null=True, help_text=_("The weakest month-to-date pacing of its objectives.")
    )
    pacing_status = models.CharField(_("pacing status"), max_length=8, null=True)
    # The month-end projection of the objective with the weakest one (docs/kpis.md §5): its ratio
    # projected ÷ month target equals that objective's pacing, so it is the same objective.
    projection = models.FloatField(
        _("month-end projection"),
        null=True,
        help_text=_("The weakest projected month-end value ÷ month target of its objectives."),
    )
    projection_status = models.CharField(_("projected status"), max_length=8, null=True)
    projection_kpi = models.CharField(_("KPI of the weakest projection"), max_length=40, blank=True, default="")
    projected = models.FloatField(_("projected month-end value"), null=True)
    month_target = models.FloatField(_("month target"), null=True)
    needed_per_day = models.FloatField(
        _("needed per remaining day"), null=True, help_text=_("None on the month's last day.")
    )
    misses = models.PositiveIntegerField(
        _("objectives projected to miss"),
        default=0,
        help_text=_("Objectives whose projection falls short of the month target."),
    )
    objectives = models.PositiveIntegerField(_("weekly objectives"), default=0)
    red = models.PositiveIntegerField(_("red statuses"), default=0)
    anomalies = models.PositiveIntegerField(_("recent anomalies"), default=0)

    class Meta:
        verbose_name = _("client pulse")
        verbose_name_plural = _("client pulses")

    def __str__(self) -> str:
        return f"{self.client_id} @ {self.as_of:%Y-%m-%d %H:%M}"

    @property
    def needs_attention(self) -> bool:
        return bool(self.red or self.anomalies)


MAX_AGENCY_ALERT_RULES = 50


class AgencyAlertRule(AlertRuleFields):
    """An alert rule an agency sets for all its clients (issue 16): each client's evaluation applies
    its own rules and these (docs/alerts.md). Same fields and validation as ``alerts.AlertRule``."""

    agency = models.ForeignKey(Agency, verbose_name=_("agency"), related_name="alert_rules", on_delete=models.CASCADE)

    class Meta:
        verbose_name = _("agency alert rule")
        verbose_name_plural = _("agency alert rules")
        ordering = ["agency", "id"]
