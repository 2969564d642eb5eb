"""Marketing data of one client account (tenant schema)."""

from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

slug_key_validator = RegexValidator(r"^[a-z0-9_-]+$", _("Use lower-case letters, digits, '_' and '-'."))


class Channel(models.Model):
    """Where a lead or a visit comes from. Every client starts with GA4's default channel grouping
    (``campaigns.channels.BUILTIN_CHANNELS``) and may add its own."""

    key = models.CharField(_("key"), max_length=64, unique=True, validators=[slug_key_validator])
    name = models.CharField(_("name"), max_length=200)
    is_paid = models.BooleanField(_("paid"), default=False)
    is_builtin = models.BooleanField(_("built-in"), default=False, editable=False)

    class Meta:
        verbose_name = _("channel")
        verbose_name_plural = _("channels")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class Campaign(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        ACTIVE = "active", _("Active")
        PAUSED = "paused", _("Paused")
        ENDED = "ended", _("Ended")

    key = models.CharField(_("key"), max_length=100, unique=True, validators=[slug_key_validator])
    name = models.CharField(_("name"), max_length=200)
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), related_name="campaigns", on_delete=models.PROTECT, null=True, blank=True
    )
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    budget = models.DecimalField(_("budget"), max_digits=14, decimal_places=2, null=True, blank=True)
    utm_campaign = models.CharField(_("UTM campaign code"), max_length=200, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.ACTIVE)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class Offer(models.Model):
    class Kind(models.TextChoices):
        EBOOK = "ebook", _("E-book")
        WEBINAR = "webinar", _("Webinar")
        DEMO = "demo", _("Demo")
        TRIAL = "trial", _("Trial")
        NEWSLETTER = "newsletter", _("Newsletter")
        EVENT = "event", _("Event")
        OTHER = "other", _("Other")

    key = models.CharField(_("key"), max_length=100, unique=True, validators=[slug_key_validator])
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.OTHER)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class LandingPage(models.Model):
    key = models.CharField(_("key"), max_length=100, unique=True, validators=[slug_key_validator])
    name = models.CharField(_("name"), max_length=200)
    url = models.URLField(_("URL"), max_length=500, blank=True)
    offer = models.ForeignKey(
        Offer, verbose_name=_("offer"), related_name="landing_pages", on_delete=models.SET_NULL, null=True, blank=True
    )
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        related_name="landing_pages",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("landing page")
        verbose_name_plural = _("landing pages")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name
