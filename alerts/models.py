"""Alerts of one client account (client schema, docs/alerts.md).

- ``AlertRule``: a client's own rule (the fields are shared with the agency's defaults,
  ``portfolio.AgencyAlertRule``, see ``portfolio.alert_rule_fields``).
- ``Alert``: one (rule, subject, period) that fired: open until its condition clears, then resolved.
  The unique constraint is the "no storm" rule: a rule never fires twice for the same subject and
  period, even once resolved.
- ``AlertDelivery``: one notice (fired or recovered) to one channel, with its attempts.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portfolio.alert_rule_fields import AlertKind, AlertRuleFields

MAX_RULES = 100  # per client


class AlertRule(AlertRuleFields):
    # Users live in the public schema; like an annotation's author, no constraint across schemas.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )

    class Meta:
        verbose_name = _("alert rule")
        verbose_name_plural = _("alert rules")
        ordering = ["id"]


class AlertState(models.TextChoices):
    OPEN = "open", _("Open")
    RESOLVED = "resolved", _("Resolved")


class Alert(models.Model):
    # The client's own rule, or (agency_rule_id) one of its agency's defaults: a public-schema row,
    # referenced by id only. rule_ref ("c:<id>" / "a:<id>") names either for the unique constraint.
    rule = models.ForeignKey(
        AlertRule, verbose_name=_("rule"), on_delete=models.CASCADE, null=True, blank=True, related_name="alerts"
    )
    agency_rule_id = models.PositiveIntegerField(_("agency rule"), null=True, blank=True)
    rule_ref = models.CharField(max_length=24, db_collation="C")
    kind = models.CharField(_("kind"), max_length=16, choices=AlertKind.choices)
    # What it is about: a KPI (with its dimension and key) or a stale source.
    subject = models.CharField(_("subject"), max_length=400, db_collation="C")
    kpi = models.CharField(_("KPI"), max_length=40, blank=True, default="")
    dimension = models.CharField(_("dimension"), max_length=16, blank=True, default="")
    key = models.CharField(_("key"), max_length=300, blank=True, default="")
    # "month:2026-12-01" (the KPI's period for status, anomaly and pacing) or "day:2026-12-03" (stale).
    period = models.CharField(_("period"), max_length=24, db_collation="C")
    state = models.CharField(_("state"), max_length=8, choices=AlertState.choices, default=AlertState.OPEN)
    opened_at = models.DateTimeField(_("opened"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    # The numbers for context: value, target, previous value, change, pacing, baseline, explanation.
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["rule_ref", "subject", "period"], name="alert_once_per_period"),
            models.CheckConstraint(
                name="alert_one_rule", condition=Q(rule__isnull=False) | Q(agency_rule_id__isnull=False)
            ),
        ]
        indexes = [
            models.Index(fields=["rule_ref"], name="alert_open", condition=Q(state="open")),
            models.Index(fields=["-opened_at", "-id"], name="alert_newest"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.subject} {self.period}"


class DeliveryEvent(models.TextChoices):
    FIRED = "fired", _("Fired")
    RECOVERED = "recovered", _("Recovered")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class AlertDelivery(models.Model):
    alert = models.ForeignKey(Alert, verbose_name=_("alert"), on_delete=models.CASCADE, related_name="deliveries")
    # The channel as it was when the alert fired (the rule may change or go since).
    channel_index = models.PositiveSmallIntegerField(_("channel number"))
    channel = models.JSONField(_("channel"))
    event = models.CharField(_("event"), max_length=10, choices=DeliveryEvent.choices)
    status = models.CharField(_("status"), max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveSmallIntegerField(_("last status code"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True, default="")
    # Each attempt's outcome: [{"at", "status_code", "error"}].
    log = models.JSONField(_("attempts log"), default=list, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("alert delivery")
        verbose_name_plural = _("alert deliveries")
        ordering = ["alert", "id"]
        constraints = [
            models.UniqueConstraint(fields=["alert", "channel_index", "event"], name="alert_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.alert_id} {self.event} #{self.channel_index} {self.status}"
