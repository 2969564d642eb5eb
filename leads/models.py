"""Leads and their lifecycle (tenant schema). Only ``leads.services`` writes stages."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Trim
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from campaigns.channels import channel_label


class Stage(models.TextChoices):
    LEAD = "lead", _("Lead")
    MQL = "mql", _("MQL")
    SQL = "sql", _("SQL")
    CUSTOMER = "customer", _("Customer")


STAGE_ORDER = [Stage.LEAD, Stage.MQL, Stage.SQL, Stage.CUSTOMER]


class MoveKind(models.TextChoices):
    """What a move back to an earlier stage means (docs/kpis.md §3); a forward move has no kind."""

    CORRECTION = "correction", _("Correction: the later stages were never really reached")
    REGRESSION = "regression", _("Regression: the lead reached them and went back")


# The reached-at field of each stage after `lead` (a lead reaches `lead` at its created_at).
REACHED_FIELD = {Stage.MQL: "mql_at", Stage.SQL: "sql_at", Stage.CUSTOMER: "customer_at"}


class ChangeOrigin(models.TextChoices):
    """The way a change to a lead came in (a history entry's ``source``): not where the lead came from,
    which is its attribution, nor a fact's source (``campaigns.models.FactSource``)."""

    UI = "ui", _("Sales screens")
    API = "api", _("API")
    IMPORT = "import", _("Import")
    CAPTURE = "capture", _("Form capture")
    SCORING = "scoring", _("Scoring")
    ADMIN = "admin", _("Admin")


# Users live in the public schema and are deactivated, never deleted (the platform admin refuses it):
# references to them from client schemas carry no database constraint and no cascade, because
# Django's delete collector would look for these tables in the public schema.


# A lead's own columns in the order the API, the admin and the leads import list them.
CONTACT_FIELDS = ("first_name", "last_name", "company", "job_title", "company_size", "phone")
ATTRIBUTION_FIELDS = (
    "channel",
    "campaign",
    "offer",
    "landing_page",
    "keyword",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
)


class Lead(models.Model):
    email = models.EmailField(_("email"), max_length=254)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company = models.CharField(_("company"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=200, blank=True)
    company_size = models.PositiveIntegerField(_("company size"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    # Attribution: first touch (docs/kpis.md §3).
    channel = models.ForeignKey(
        "campaigns.Channel",
        verbose_name=_("channel"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="leads",
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    offer = models.ForeignKey(
        "campaigns.Offer",
        verbose_name=_("offer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    landing_page = models.ForeignKey(
        "campaigns.LandingPage",
        verbose_name=_("landing page"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="leads",
    )
    keyword = models.CharField(_("keyword"), max_length=200, blank=True)
    utm_source = models.CharField("utm_source", max_length=200, blank=True)
    utm_medium = models.CharField("utm_medium", max_length=200, blank=True)
    utm_campaign = models.CharField("utm_campaign", max_length=200, blank=True)
    utm_term = models.CharField("utm_term", max_length=200, blank=True)
    utm_content = models.CharField("utm_content", max_length=200, blank=True)

    # Lifecycle: the current stage may move back; reached timestamps never move later.
    stage = models.CharField(_("stage"), max_length=16, choices=Stage.choices, default=Stage.LEAD)
    mql_at = models.DateTimeField(_("reached MQL"), null=True, blank=True)
    sql_at = models.DateTimeField(_("reached SQL"), null=True, blank=True)
    customer_at = models.DateTimeField(_("became customer"), null=True, blank=True)
    is_lost = models.BooleanField(_("lost"), default=False)
    lost_at = models.DateTimeField(_("lost at"), null=True, blank=True)
    lost_reason = models.CharField(_("lost reason"), max_length=500, blank=True)

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    score = models.IntegerField(_("score"), default=0)
    scoring_promoted_at = models.DateTimeField(_("moved to MQL by scoring"), null=True, blank=True, editable=False)
    deal_value = models.DecimalField(_("deal value"), max_digits=14, decimal_places=2, null=True, blank=True)

    class Meta:
        verbose_name = _("lead")
        verbose_name_plural = _("leads")
        ordering = ["-created_at", "-pk"]
        constraints = [
            # Email is the identity of a lead: trimmed, case-insensitive (docs/kpis.md §3 Duplicates).
            models.UniqueConstraint(Lower(Trim("email")), name="lead_email_unique_ci"),
            models.CheckConstraint(name="lead_email_normalised", condition=Q(email=Lower(Trim("email")))),
            models.CheckConstraint(
                name="lead_mql_after_created", condition=Q(mql_at__isnull=True) | Q(mql_at__gte=models.F("created_at"))
            ),
            models.CheckConstraint(
                name="lead_sql_after_created", condition=Q(sql_at__isnull=True) | Q(sql_at__gte=models.F("created_at"))
            ),
            models.CheckConstraint(
                name="lead_customer_after_created",
                condition=Q(customer_at__isnull=True) | Q(customer_at__gte=models.F("created_at")),
            ),
            models.CheckConstraint(
                name="lead_deal_value_not_negative", condition=Q(deal_value__isnull=True) | Q(deal_value__gte=0)
            ),
        ]
        indexes = [
            # Creation order, carrying what a KPI refresh reads of a day's cohort (attribution and
            # the stages reached): an incremental refresh re-reads whole days by index alone, without
            # visiting leads scattered over the table.
            models.Index(
                fields=["created_at"],
                name="lead_created_cohort",
                include=["channel", "campaign", "offer", "landing_page", "mql_at", "customer_at"],
            ),
            models.Index(fields=["stage", "is_lost"], name="lead_stage_lost"),
            models.Index(fields=["mql_at"], name="lead_mql_at"),
            models.Index(fields=["sql_at"], name="lead_sql_at"),
            models.Index(fields=["customer_at"], name="lead_customer_at"),
            models.Index(fields=["owner"], name="lead_owner"),
        ]

    def __str__(self) -> str:
        name = f"{self.first_name} {self.last_name}".strip()
        return f"{name} <{self.email}>" if name else self.email

    def reached_at(self, stage: str):
        return self.created_at if stage == Stage.LEAD else getattr(self, REACHED_FIELD[Stage(stage)])


class StageTransition(models.Model):
    """The append-only history of a lead: every stage move (forward, or back as a regression), correction,
    loss, re-opening, assignment, edit and merge. Rows are never updated (a database trigger refuses it);
    they go only with their lead (erasure). A correction voids reaches without touching the entries that
    recorded them: it is one more entry, whose ``changes`` name the reached dates it cleared."""

    class Kind(models.TextChoices):
        CREATED = "created", _("Created")
        MOVED = "moved", _("Stage changed")
        CORRECTED = "corrected", _("Stage corrected")
        LOST = "lost", _("Marked lost")
        REOPENED = "reopened", _("Re-opened")
        ASSIGNED = "assigned", _("Owner changed")
        EDITED = "edited", _("Edited")
        MERGED = "merged", _("Merged a duplicate")

    lead = models.ForeignKey(Lead, related_name="transitions", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    from_stage = models.CharField(_("from"), max_length=16, choices=Stage.choices, blank=True)
    to_stage = models.CharField(_("to"), max_length=16, choices=Stage.choices, blank=True)
    at = models.DateTimeField(_("effective at"))
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    source = models.CharField(_("source"), max_length=16, choices=ChangeOrigin.choices)
    # What the entry changed besides the stage: {field: [before, after]} as JSON text (an edit's fields,
    # a move's deal value, a correction's voided reached dates).
    changes = models.JSONField(_("changes"), default=dict, blank=True)

    class Meta:
        verbose_name = _("history entry")
        verbose_name_plural = _("history")
        ordering = ["recorded_at", "pk"]
        indexes = [models.Index(fields=["lead", "recorded_at"], name="transition_lead_recorded")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.from_stage}→{self.to_stage} @ {self.at:%Y-%m-%d %H:%M}"

    @property
    def is_move_back(self) -> bool:
        """A move to an earlier stage (a regression, or a correction)."""
        if not self.from_stage or not self.to_stage:
            return False
        return STAGE_ORDER.index(Stage(self.to_stage)) < STAGE_ORDER.index(Stage(self.from_stage))

    def voided_stages(self) -> list[str]:
        """A correction's stages whose reach it voided (labels, in pipeline order)."""
        return [stage.label for stage, name in REACHED_FIELD.items() if name in self.changes]

    def changed_fields(self) -> list[dict]:
        """``changes`` for a page: each field's name, its label, and the values before and after."""
        lines = []
        for name, (before, after) in self.changes.items():
            field = Lead._meta.get_field(name)
            if isinstance(field, models.DateTimeField):
                # Kept as ISO 8601 text (JSON); shown as an instant, which a page writes in the client's
                # zone and the reader's language (never "2026-11-26T09:15:00.123456+00:00").
                before, after = _instant(before), _instant(after)
            elif name == "channel":  # kept by key: a built-in channel is named in the reader's language
                before, after = (channel_label(v, v) if v else v for v in (before, after))
            lines.append({"name": name, "label": field.verbose_name, "before": before, "after": after})
        return lines


def _instant(value):
    """A history value of a date-time field as an aware datetime (the text itself if it is not one)."""
    return (parse_datetime(value) or value) if isinstance(value, str) else value


class LeadNote(models.Model):
    lead = models.ForeignKey(Lead, related_name="notes", on_delete=models.CASCADE)
    body = models.TextField(_("note"))
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

    class Meta:
        verbose_name = _("note")
        verbose_name_plural = _("notes")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return self.body[:60]


class LeadActivity(models.Model):
    """Things a lead did that scoring may count (form submissions, CTA clicks, email clicks…)."""

    class Kind(models.TextChoices):
        FORM_SUBMIT = "form_submit", _("Form submitted")
        CTA_CLICK = "cta_click", _("CTA clicked")
        EMAIL_OPEN = "email_open", _("Email opened")
        EMAIL_CLICK = "email_click", _("Email clicked")
        PAGE_VISIT = "page_visit", _("Page visited")

    lead = models.ForeignKey(Lead, related_name="activities", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    at = models.DateTimeField(_("at"), default=timezone.now)
    ref = models.CharField(_("reference"), max_length=200, blank=True, help_text=_("Form, CTA or email key."))

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activities")
        indexes = [models.Index(fields=["lead", "kind"], name="activity_lead_kind")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.ref}".strip()


class ScoringRule(models.Model):
    """Points for a lead attribute or for each of its activities of a kind."""

    class Field(models.TextChoices):
        COMPANY_SIZE = "company_size", _("Company size")
        JOB_TITLE = "job_title", _("Job title")
        COMPANY = "company", _("Company")
        OFFER_KIND = "offer_kind", _("Offer kind")
        CHANNEL = "channel", _("Channel")
        EMAIL_DOMAIN = "email_domain", _("Email domain")
        ACTIVITY = "activity", _("Activity (points per occurrence)")

    class Operator(models.TextChoices):
        EQUALS = "eq", _("equals")
        CONTAINS = "contains", _("contains")
        AT_LEAST = "gte", _("at least")
        AT_MOST = "lte", _("at most")
        ONE_OF = "in", _("is one of (comma-separated)")

    name = models.CharField(_("name"), max_length=200)
    field = models.CharField(_("field"), max_length=16, choices=Field.choices)
    operator = models.CharField(_("operator"), max_length=8, choices=Operator.choices, default=Operator.EQUALS)
    value = models.CharField(_("value"), max_length=500, help_text=_("For activities: the activity kind."))
    points = models.IntegerField(_("points"))
    max_points = models.IntegerField(_("cap"), null=True, blank=True, help_text=_("Activities: most points counted."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("scoring rule")
        verbose_name_plural = _("scoring rules")
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.name


class LeadSettings(models.Model):
    """Per-client CRM settings (one row)."""

    mql_threshold = models.IntegerField(
        _("MQL threshold"), null=True, blank=True, help_text=_("A lead whose score reaches it becomes an MQL, once.")
    )
    block_erased_emails = models.BooleanField(
        _("block erased emails"), default=True, help_text=_("Refuse to capture again an email that was erased.")
    )

    class Meta:
        verbose_name = _("CRM settings")
        verbose_name_plural = _("CRM settings")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)


class ErasedEmail(models.Model):
    """The SHA-256 of an erased contact's email, to refuse re-capture without keeping the email."""

    email_hash = models.CharField(max_length=64, unique=True)
    erased_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.email_hash


class CaptureForm(models.Model):
    """One of the client's own web forms posting to /c/<slug>/capture/<key>/."""

    key = models.SlugField(_("key"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=200)
    allowed_origins = models.TextField(
        _("allowed origins"), blank=True, help_text=_("One origin per line, e.g. https://www.example.com")
    )
    offer = models.ForeignKey("campaigns.Offer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    landing_page = models.ForeignKey(
        "campaigns.LandingPage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    redirect_url = models.URLField(_("redirect after submit"), blank=True)
    honeypot_field = models.CharField(_("honeypot field"), max_length=50, default="website")
    rate_limit_per_minute = models.PositiveIntegerField(_("submissions per minute per visitor"), default=10)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("capture form")
        verbose_name_plural = _("capture forms")
        ordering = ["key"]

    def __str__(self) -> str:
        return self.name

    def origins(self) -> set[str]:
        return {line.strip().rstrip("/") for line in self.allowed_origins.splitlines() if line.strip()}
