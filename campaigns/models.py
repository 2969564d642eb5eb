"""Marketing data of one client account (tenant schema)."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower, Trim
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


class CTA(models.Model):
    """A call-to-action on the client's pages (``data-pouls-cta="key"`` for the tracking snippet)."""

    key = models.CharField(_("key"), max_length=100, unique=True, validators=[slug_key_validator])
    name = models.CharField(_("name"), max_length=200)
    landing_page = models.ForeignKey(
        LandingPage, verbose_name=_("landing page"), related_name="ctas", on_delete=models.SET_NULL, null=True,
        blank=True,
    )  # fmt: skip

    class Meta:
        verbose_name = _("call-to-action")
        verbose_name_plural = _("calls-to-action")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class FactSource(models.TextChoices):
    """Where a daily fact came from: an import replaces only imported rows, tracking only tracked ones."""

    IMPORT = "import", _("Import")
    TRACKING = "tracking", _("Tracking")


class Spend(models.Model):
    date = models.DateField(_("date"))
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), related_name="spend", on_delete=models.CASCADE)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("spend")
        verbose_name_plural = _("spend")
        ordering = ["-date", "campaign_id"]
        constraints = [
            models.UniqueConstraint(fields=["date", "campaign"], name="spend_unique_day_campaign"),
            models.CheckConstraint(name="spend_amount_not_negative", condition=models.Q(amount__gte=0)),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.campaign_id} {self.amount}"


class Traffic(models.Model):
    date = models.DateField(_("date"))
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), related_name="traffic", on_delete=models.PROTECT, null=True, blank=True
    )
    landing_page = models.ForeignKey(
        LandingPage, verbose_name=_("landing page"), related_name="traffic", on_delete=models.CASCADE, null=True,
        blank=True,
    )  # fmt: skip
    source = models.CharField(_("source"), max_length=16, choices=FactSource.choices, default=FactSource.IMPORT)
    visits = models.PositiveIntegerField(_("visits"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("traffic")
        verbose_name_plural = _("traffic")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "channel", "landing_page", "source"],
                name="traffic_unique_day_key",
                nulls_distinct=False,
            ),  # fmt: skip
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.visits}"


class CTAStat(models.Model):
    date = models.DateField(_("date"))
    cta = models.ForeignKey(CTA, verbose_name=_("call-to-action"), related_name="stats", on_delete=models.CASCADE)
    source = models.CharField(_("source"), max_length=16, choices=FactSource.choices, default=FactSource.IMPORT)
    views = models.PositiveIntegerField(_("views"))
    clicks = models.PositiveIntegerField(_("clicks"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("CTA statistics")
        verbose_name_plural = _("CTA statistics")
        ordering = ["-date"]
        constraints = [
            models.UniqueConstraint(fields=["date", "cta", "source"], name="ctastat_unique_day_cta"),
            models.CheckConstraint(
                name="ctastat_clicks_within_views", condition=models.Q(clicks__lte=models.F("views"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.cta_id} {self.clicks}/{self.views}"


class KeywordStat(models.Model):
    date = models.DateField(_("date"))
    keyword = models.CharField(_("keyword"), max_length=300, help_text=_("Lower-cased and trimmed."))
    channel = models.ForeignKey(
        Channel, verbose_name=_("channel"), related_name="keyword_stats", on_delete=models.PROTECT
    )
    visits = models.PositiveIntegerField(_("visits"))
    impressions = models.PositiveIntegerField(_("impressions"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("keyword statistics")
        verbose_name_plural = _("keyword statistics")
        ordering = ["-date", "keyword"]
        constraints = [
            models.UniqueConstraint(fields=["date", "keyword", "channel"], name="keywordstat_unique_day_keyword"),
            models.CheckConstraint(
                name="keywordstat_keyword_normalised", condition=models.Q(keyword=Lower(Trim("keyword")))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.keyword} {self.visits}"


class EmailSend(models.Model):
    """One email campaign send. Imports set its counters; provider webhooks count events into them."""

    key = models.CharField(_("key"), max_length=100, unique=True, validators=[slug_key_validator])
    name = models.CharField(_("name"), max_length=200)
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="email_sends", on_delete=models.SET_NULL, null=True,
        blank=True,
    )  # fmt: skip
    sent = models.PositiveIntegerField(_("sent"), default=0)
    delivered = models.PositiveIntegerField(_("delivered"), default=0)
    unique_opens = models.PositiveIntegerField(_("unique opens"), default=0)
    unique_clicks = models.PositiveIntegerField(_("unique clicks"), default=0)
    unsubscribes = models.PositiveIntegerField(_("unsubscribes"), default=0)
    bounces = models.PositiveIntegerField(_("bounces"), default=0)
    complaints = models.PositiveIntegerField(_("complaints"), default=0)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("email send")
        verbose_name_plural = _("email sends")
        ordering = ["-sent_at"]
        constraints = [
            models.CheckConstraint(
                name="emailsend_delivered_within_sent", condition=models.Q(delivered__lte=models.F("sent"))
            ),
            models.CheckConstraint(
                name="emailsend_opens_within_delivered", condition=models.Q(unique_opens__lte=models.F("delivered"))
            ),
        ]

    def __str__(self) -> str:
        return self.name
