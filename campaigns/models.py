"""Marketing data of one client account (tenant schema)."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.channels import channel_label
from campaigns.imports.labels import kind_label
from campaigns.rules import KEY_MESSAGE, KEY_PATTERN

# The key format of campaigns.rules, for model validation (the admin's forms and the API apply the rule
# itself, which also trims and lower-cases).
slug_key_validator = RegexValidator(KEY_PATTERN, KEY_MESSAGE)


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
        return channel_label(self.key, self.name)


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
        LandingPage,
        verbose_name=_("landing page"),
        related_name="ctas",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )

    class Meta:
        verbose_name = _("call-to-action")
        verbose_name_plural = _("calls-to-action")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name


class FactSource(models.TextChoices):
    """Where a daily fact came from: an import replaces only imported rows, tracking only tracked ones,
    a connector only its own. For the days and keys a connector covers (``FactCoverage``), imported and
    tracked rows are kept but not counted (campaigns/coverage.py, docs/connectors.md)."""

    IMPORT = "import", _("Import")
    TRACKING = "tracking", _("Tracking")
    GA4 = "ga4", _("Google Analytics 4")
    SEARCH_CONSOLE = "search_console", _("Google Search Console")
    GOOGLE_ADS = "google_ads", _("Google Ads")
    META_ADS = "meta_ads", _("Meta Ads")


# The sources written by a connector (the rest are written by Pouls' own imports and tracking).
CONNECTOR_SOURCES = (FactSource.GA4, FactSource.SEARCH_CONSOLE, FactSource.GOOGLE_ADS, FactSource.META_ADS)


class Spend(models.Model):
    date = models.DateField(_("date"))
    campaign = models.ForeignKey(Campaign, verbose_name=_("campaign"), related_name="spend", on_delete=models.CASCADE)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    # A database default too: raw inserts written before connectors existed (benches, tests) stay imports.
    source = models.CharField(
        _("source"), max_length=16, choices=FactSource.choices, default=FactSource.IMPORT, db_default="import"
    )
    # What the ad platforms report beside the cost (connectors); imports leave them empty.
    clicks = models.PositiveIntegerField(_("clicks"), null=True, blank=True)
    impressions = models.PositiveBigIntegerField(_("impressions"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("spend")
        verbose_name_plural = _("spend")
        ordering = ["-date", "campaign_id"]
        constraints = [
            models.UniqueConstraint(fields=["date", "campaign", "source"], name="spend_unique_day_campaign_source"),
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
        LandingPage,
        verbose_name=_("landing page"),
        related_name="traffic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
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
            ),
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
    source = models.CharField(
        _("source"), max_length=16, choices=FactSource.choices, default=FactSource.IMPORT, db_default="import"
    )
    visits = models.PositiveIntegerField(_("visits"))
    impressions = models.PositiveIntegerField(_("impressions"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("keyword statistics")
        verbose_name_plural = _("keyword statistics")
        ordering = ["-date", "keyword"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "keyword", "channel", "source"], name="keywordstat_unique_day_keyword_source"
            ),
            models.CheckConstraint(
                name="keywordstat_keyword_normalised", condition=models.Q(keyword=Lower(Trim("keyword")))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.keyword} {self.visits}"


class FactCoverage(models.Model):
    """The days a connector answers for, per kind of fact: from its backfill's first day to the last
    complete day it read. Inside them the connector's rows count and the imported and tracked rows of
    the same facts do not — all traffic (GA4), all keywords (Search Console), the spend of the
    campaigns its platform campaigns map to (Google Ads, Meta Ads). campaigns/coverage.py applies it."""

    class Fact(models.TextChoices):
        TRAFFIC = "traffic", _("Traffic")
        KEYWORD = "keyword", _("Keywords")
        SPEND = "spend", _("Spend")

    source = models.CharField(_("source"), max_length=16, choices=FactSource.choices)
    fact = models.CharField(_("fact"), max_length=16, choices=Fact.choices)
    first_day = models.DateField(_("first day"))
    last_day = models.DateField(_("last day"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("connector coverage")
        verbose_name_plural = _("connector coverage")
        constraints = [
            models.UniqueConstraint(fields=["source", "fact"], name="factcoverage_one_per_source_fact"),
            models.CheckConstraint(
                name="factcoverage_days_ordered", condition=models.Q(first_day__lte=models.F("last_day"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.fact} {self.first_day}..{self.last_day}"


class PlatformCampaign(models.Model):
    """A campaign of an ad platform and the Pouls campaign its spend counts in: created on first sight
    by the connector (with the platform's channel and UTM campaign when known), editable after."""

    source = models.CharField(_("source"), max_length=16, choices=FactSource.choices)
    external_id = models.CharField(_("platform id"), max_length=64)
    name = models.CharField(_("name on the platform"), max_length=400)
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="platform_campaigns", on_delete=models.PROTECT
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("platform campaign")
        verbose_name_plural = _("platform campaigns")
        ordering = ["source", "name"]
        constraints = [
            models.UniqueConstraint(fields=["source", "external_id"], name="platformcampaign_unique_external"),
        ]

    def __str__(self) -> str:
        return f"{self.get_source_display()}: {self.name}"


class EmailSend(models.Model):
    """One email campaign send. Imports set its counters; provider webhooks count events into them."""

    # Every counter of a send (the emails import requires the first five: campaigns.imports.kinds).
    COUNTERS = ("sent", "delivered", "unique_opens", "unique_clicks", "unsubscribes", "bounces", "complaints")

    key = models.CharField(_("key"), max_length=100, unique=True, validators=[slug_key_validator])
    name = models.CharField(_("name"), max_length=200)
    sent_at = models.DateTimeField(_("sent at"), db_index=True)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        related_name="email_sends",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
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


class EmailProviderHook(models.Model):
    """The client's credentials for one email provider's tracking webhook
    (``/c/<slug>/webhooks/email/<provider>/tracking/``, see ``campaigns.webhooks``)."""

    class Provider(models.TextChoices):
        SENDGRID = "sendgrid", "SendGrid"
        MAILGUN = "mailgun", "Mailgun"
        BREVO = "brevo", "Brevo"
        MAILJET = "mailjet", "Mailjet"

    # Providers that authenticate their webhook calls with HTTP basic auth; Mailgun signs them instead.
    BASIC_AUTH_PROVIDERS = frozenset({Provider.SENDGRID, Provider.BREVO, Provider.MAILJET})

    provider = models.CharField(_("provider"), max_length=16, choices=Provider.choices, unique=True)
    basic_auth = models.CharField(
        _("basic auth credentials"),
        max_length=255,
        blank=True,
        help_text=_("“username:password” the provider sends with each call (SendGrid, Brevo, Mailjet)."),
    )
    signing_key = models.CharField(
        _("webhook signing key"),
        max_length=255,
        blank=True,
        help_text=_("Mailgun's HTTP webhook signing key (Mailgun › Sending › Webhooks)."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("email provider webhook")
        verbose_name_plural = _("email provider webhooks")
        ordering = ["provider"]
        constraints = [
            models.CheckConstraint(
                name="emailproviderhook_has_credentials",
                condition=(
                    models.Q(provider="mailgun", signing_key__gt="")
                    | (~models.Q(provider="mailgun") & models.Q(basic_auth__regex=r"^[^:]+:.+$"))
                ),
                violation_error_message=_("Mailgun needs its signing key; other providers a “username:password”."),
            ),
        ]

    def __str__(self) -> str:
        return self.get_provider_display()

    @property
    def uses_basic_auth(self) -> bool:
        return self.provider in self.BASIC_AUTH_PROVIDERS

    def clean(self):
        from django.core.exceptions import ValidationError

        # Keep only the secret this provider uses.
        if self.uses_basic_auth:
            self.signing_key = ""
            username, colon, password = self.basic_auth.partition(":")
            if not (username and colon and password):
                raise ValidationError({"basic_auth": _("Enter “username:password” (the username cannot contain “:”).")})
        elif self.provider == self.Provider.MAILGUN:
            self.basic_auth = ""
            if not self.signing_key:
                raise ValidationError({"signing_key": _("Mailgun signs its webhook calls with this key: enter it.")})


class EmailEvent(models.Model):
    """One provider event counted into an email send. (provider, event_id) is unique, so a provider
    retrying or replaying an event never counts it twice."""

    provider = models.CharField(_("provider"), max_length=16, choices=EmailProviderHook.Provider.choices)
    event_id = models.CharField(_("event id"), max_length=255)
    send = models.ForeignKey(EmailSend, verbose_name=_("email send"), related_name="events", on_delete=models.CASCADE)
    recipient = models.CharField(_("recipient"), max_length=254, help_text=_("Lower-cased."))
    event_type = models.CharField(_("event type"), max_length=16)
    occurred_at = models.DateTimeField(_("occurred at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        verbose_name = _("email event")
        verbose_name_plural = _("email events")
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], name="emailevent_unique_provider_event"),
            models.CheckConstraint(name="emailevent_recipient_lower", condition=models.Q(recipient=Lower("recipient"))),
        ]
        indexes = [models.Index(fields=["send", "event_type"], name="emailevent_send_type")]

    def __str__(self) -> str:
        return f"{self.provider} {self.event_type} {self.recipient}"


class EmailRecipientState(models.Model):
    """What one recipient did with one send: each flag flips once, which makes the send's
    counters unique per recipient."""

    send = models.ForeignKey(
        EmailSend, verbose_name=_("email send"), related_name="recipient_states", on_delete=models.CASCADE
    )
    recipient = models.CharField(_("recipient"), max_length=254, help_text=_("Lower-cased."))
    delivered = models.BooleanField(_("delivered"), default=False)
    opened = models.BooleanField(_("opened"), default=False)
    clicked = models.BooleanField(_("clicked"), default=False)
    unsubscribed = models.BooleanField(_("unsubscribed"), default=False)
    bounced = models.BooleanField(_("bounced"), default=False)
    complained = models.BooleanField(_("complained"), default=False)

    class Meta:
        verbose_name = _("email recipient state")
        verbose_name_plural = _("email recipient states")
        ordering = ["send_id", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["send", "recipient"], name="emailrecipientstate_unique_send_recipient"),
            models.CheckConstraint(
                name="emailrecipientstate_recipient_lower", condition=models.Q(recipient=Lower("recipient"))
            ),
        ]

    def __str__(self) -> str:
        return f"{self.send_id} {self.recipient}"


class TrackingEvent(models.Model):
    """One raw event of the tracking snippet (``static/pouls/pouls.js``), as received by
    ``campaigns.tracking``. ``campaigns.tracking_rollup`` adds unprocessed events to the daily Traffic
    and CTAStat facts (source: tracking) and marks them processed in the same transaction.

    Processed events are kept for a while (then purged) so that a re-sent event id, or a second visit
    of one browser session to one page, is still recognised and refused at ingest.
    """

    class Type(models.TextChoices):
        VISIT = "visit", _("Visit")
        CTA_VIEW = "cta_view", _("CTA view")
        CTA_CLICK = "cta_click", _("CTA click")

    event_id = models.UUIDField(_("event id"), primary_key=True)  # the snippet's random UUID
    type = models.CharField(_("type"), max_length=16, choices=Type.choices)
    occurred_at = models.DateTimeField(_("occurred at"))
    session = models.CharField(_("session"), max_length=32, help_text=_("Keyed hash of the browser session's id."))
    path = models.CharField(_("page path"), max_length=500, help_text=_("Lower-cased, without a trailing slash."))
    channel_key = models.CharField(_("channel key"), max_length=64, blank=True, help_text=_("Visits only."))
    cta_key = models.CharField(_("CTA key"), max_length=100, blank=True)
    processed = models.BooleanField(_("processed"), default=False, db_default=False)

    class Meta:
        verbose_name = _("tracking event")
        verbose_name_plural = _("tracking events")
        constraints = [
            # A reload, or a second tab of the same session, is not a second visit.
            models.UniqueConstraint(
                fields=["session", "path"], condition=models.Q(type="visit"), name="trackingevent_one_visit"
            ),
        ]
        indexes = [
            # What the rollup reads, and what the purge reads. Both partial: ingest only writes to the
            # small first one; an event moves to the second when the rollup marks it processed.
            models.Index(fields=["occurred_at"], condition=models.Q(processed=False), name="trackingevent_pending"),
            models.Index(fields=["occurred_at"], condition=models.Q(processed=True), name="trackingevent_processed"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class MetricValue(models.Model):
    """One day of a series the product does not track itself (social mentions, reviews, calls), brought
    in by the ``metrics`` import (docs/imports.md). A metric is a measure custom KPIs can name
    (docs/kpis.md, "Custom KPIs and metrics"): the sum of its values over a period. ``key`` tells apart
    several series of one metric on one day (a network, an account): '' when there is one."""

    date = models.DateField(_("date"))
    metric = models.CharField(_("metric"), max_length=40, validators=[slug_key_validator])
    key = models.CharField(_("key"), max_length=100, blank=True, default="", validators=[slug_key_validator])
    value = models.DecimalField(_("value"), max_digits=20, decimal_places=2)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("metric value")
        verbose_name_plural = _("metric values")
        ordering = ["metric", "-date", "key"]
        constraints = [
            models.UniqueConstraint(fields=["metric", "date", "key"], name="metricvalue_unique_metric_day_key"),
        ]
        # The refresh reads a few days of every metric at once (the days that became present, a window).
        indexes = [models.Index(fields=["date"], name="metricvalue_date")]

    def __str__(self) -> str:
        return f"{self.date} {self.metric}{f' {self.key}' if self.key else ''} {self.value}"


class ImportJob(models.Model):
    """An uploaded file and the progress of its import (admin and API uploads run on a worker)."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Waiting for confirmation")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        REJECTED = "rejected", _("Rejected")

    FINISHED = (Status.DONE, Status.REJECTED)

    kind = models.CharField(_("kind"), max_length=32)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    data = models.BinaryField(_("content"))
    partial = models.BooleanField(_("write the valid rows only"), default=False)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.QUEUED)
    phase = models.CharField(_("phase"), max_length=16, blank=True)
    done = models.PositiveIntegerField(_("rows done"), default=0)
    total = models.PositiveIntegerField(_("rows"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    rejected_count = models.PositiveIntegerField(_("rejected rows"), default=0)
    rejected_csv = models.TextField(_("rejected rows (CSV)"), blank=True)
    created_by_id = models.BigIntegerField(_("uploaded by (user id)"), null=True, blank=True)
    # The language the upload was made in: the worker words the job's errors in it (empty: the uploader's).
    language = models.CharField(_("language"), max_length=8, blank=True)
    created_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    # When the job was last handed to the queue; emptied when the queue could not be reached, so that
    # the periodic sweep (campaigns.import_jobs_sweep) sends it again once the queue is back.
    sent_at = models.DateTimeField(_("sent to the queue"), null=True, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("import")
        verbose_name_plural = _("imports")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{kind_label(self.kind)} · {self.filename or self.pk}"

    @property
    def percent(self) -> int:
        return 100 if self.status in self.FINISHED else int(100 * self.done / self.total) if self.total else 0

    @property
    def awaiting_queue(self) -> bool:
        """Queued while the queue was down: the periodic sweep sends it once the queue is back."""
        return self.status == self.Status.QUEUED and self.sent_at is None


class RateWindow(models.Model):
    """Requests counted in one calendar minute, per counter and sender, by one atomic upsert
    (``campaigns.rate_windows``): a capture form's submissions (``form_key`` is the form's key,
    ``leads.ratelimit``) and the tracking endpoint's events (``@tracking``, ``campaigns.tracking``).
    The sender is a keyed hash of its IP address, never the address itself; ``*`` counts everyone."""

    form_key = models.CharField(max_length=100)
    visitor = models.CharField(max_length=64)
    window_start = models.DateTimeField(db_index=True)
    count = models.PositiveIntegerField(default=0)

    class Meta:
        # The table the capture endpoint created (the model lived in leads): moved without moving a row.
        db_table = "leads_captureratewindow"
        constraints = [
            models.UniqueConstraint(fields=["form_key", "visitor", "window_start"], name="capture_rate_window_unique")
        ]

    def __str__(self) -> str:
        return f"{self.form_key} {self.visitor[:8]} {self.window_start:%H:%M} {self.count}"
