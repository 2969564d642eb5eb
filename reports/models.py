"""Scheduled client reports (docs/reports.md): a schedule says when, for which period, in which language
and to whom a client's branded PDF report goes; a delivery is one sending of one period, the log of
what was sent to whom; an unsubscribe is an external address that asked to stop receiving a schedule.

Exactly once: a scheduled delivery is unique per (schedule, period) — the database, not the
code, refuses a second one, so two beats or two ticks create one row — and the worker that sends it
first claims it under a row lock with a lease (``claimed_until``)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Frequency(models.TextChoices):
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")


class ReportLanguage(models.TextChoices):
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class ReportSchedule(models.Model):
    name = models.CharField(_("name"), max_length=200)
    frequency = models.CharField(_("frequency"), max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY)
    weekday = models.PositiveSmallIntegerField(
        _("weekday"), choices=Weekday.choices, default=Weekday.MONDAY, help_text=_("Weekly reports: the day sent.")
    )
    day_of_month = models.PositiveSmallIntegerField(
        _("day of the month"),
        default=1,
        help_text=_("Monthly reports: the day sent (1-31; a shorter month: its last day)."),
    )
    hour = models.PositiveSmallIntegerField(_("hour"), default=8, help_text=_("In the client's time zone (0-23)."))
    language = models.CharField(_("language"), max_length=2, choices=ReportLanguage.choices)
    sections = ArrayField(models.CharField(max_length=40), verbose_name=_("sections"), default=list, blank=True)
    recipients = ArrayField(models.EmailField(max_length=254), verbose_name=_("recipients"), default=list)
    requires_approval = models.BooleanField(
        _("requires approval"), default=False, help_text=_("An agency person approves each report before it is sent.")
    )
    active = models.BooleanField(_("active"), default=True)
    # Users live in the public schema: no constraint across schemas (as a note's author).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("report schedule")
        verbose_name_plural = _("report schedules")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class DeliveryStatus(models.TextChoices):
    AWAITING_APPROVAL = "awaiting_approval", _("Awaiting approval")
    QUEUED = "queued", _("Queued")
    RENDERING = "rendering", _("Rendering")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    REJECTED = "rejected", _("Rejected")


class Trigger(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    MANUAL = "manual", _("Manual")


class ReportDelivery(models.Model):
    schedule = models.ForeignKey(
        ReportSchedule, verbose_name=_("report"), on_delete=models.CASCADE, related_name="deliveries"
    )
    period_start = models.DateField(_("period start"))
    period_end = models.DateField(_("period end"))
    trigger = models.CharField(_("trigger"), max_length=10, choices=Trigger.choices, default=Trigger.SCHEDULED)
    status = models.CharField(_("status"), max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    # Each address is added once its message was accepted, in its own commit: a retry skips them.
    sent_to = ArrayField(models.EmailField(max_length=254), verbose_name=_("sent to"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # A worker owns the delivery until then; past it, a dead worker's delivery is taken up again.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    # The rendered report: the draft's preview while it awaits approval, then the attachment sent.
    pdf = models.BinaryField(_("PDF"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)

    class Meta:
        verbose_name = _("report delivery")
        verbose_name_plural = _("report deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            # The period's end is part of the key: a week and a month may start on the same Monday
            # (1 June 2026), and a schedule switched from weekly to monthly still sends that month.
            models.UniqueConstraint(
                fields=["schedule", "period_start", "period_end"],
                condition=Q(trigger="scheduled"),
                name="report_delivery_once_per_period",
            ),
        ]
        indexes = [models.Index(fields=["status", "claimed_until"], name="report_delivery_status")]

    def __str__(self) -> str:
        return f"{self.schedule_id} {self.period_start} {self.status}"


class ReportUnsubscribe(models.Model):
    """An external address that asked to stop receiving one schedule (its signed link)."""

    schedule = models.ForeignKey(
        ReportSchedule, verbose_name=_("report"), on_delete=models.CASCADE, related_name="unsubscribes"
    )
    email = models.EmailField(_("email"), max_length=254)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("unsubscribed address")
        verbose_name_plural = _("unsubscribed addresses")
        constraints = [models.UniqueConstraint(fields=["schedule", "email"], name="report_unsubscribe_once")]

    def __str__(self) -> str:
        return self.email
