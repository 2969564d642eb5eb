"""Dated notes on a client account ("spring campaign launched", "tracking broken 3-5 March"),
for the whole account or one channel or campaign. Charts mark them; an anomaly flag on a period
they overlap shows them as its likely explanation (docs/kpis.md §6)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

TEXT_MAX = 500


class Annotation(models.Model):
    start = models.DateField(_("start day"))
    end = models.DateField(_("end day"), null=True, blank=True, help_text=_("Empty: the start day alone."))
    text = models.CharField(_("text"), max_length=TEXT_MAX)
    channel = models.ForeignKey(
        "campaigns.Channel",
        verbose_name=_("channel"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="annotations",
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="annotations",
    )
    # Users live in the public schema; like a lead's owner, no constraint across schemas.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("author"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["start", "end"], name="annotation_dates")]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=models.F("start")),
                name="annotation_end_after_start",
                violation_error_message=_("The end comes before the start."),
            ),
            models.CheckConstraint(
                condition=Q(channel__isnull=True) | Q(campaign__isnull=True),
                name="annotation_one_scope",
                violation_error_message=_("Choose a channel or a campaign, not both."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start.isoformat()} {self.text[:60]}"

    @property
    def last_day(self):
        """The last day the note covers (its start when it has no end)."""
        return self.end or self.start

    @property
    def scope(self) -> tuple[str, str]:
        """``(dimension, key)`` of the KPI rows the note is about; ``("", "")`` for the whole account."""
        if self.channel_id:
            return "channel", self.channel.key
        if self.campaign_id:
            return "campaign", self.campaign.key
        return "", ""
