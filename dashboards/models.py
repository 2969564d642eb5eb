"""Which KPI cards a client's dashboard pins at its top, and in what order: the client's default
(set by a manager) and, optionally, one person's own choice, which wins for them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
