"""Who may enter which client account. These tables live in the public schema."""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower, Now
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin
from django_tenants.utils import get_public_schema_name, schema_exists


class Language(models.TextChoices):
    FRENCH = "fr", _("French")
    ENGLISH = "en", _("English")


class Agency(models.Model):
    """A marketing agency: it manages several client accounts from one login."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    default_language = models.CharField(
        _("default language"), max_length=8, choices=Language.choices, default=Language.FRENCH
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    # Set by platform staff (admin action): its people cannot log in and its clients are out of reach
    # (tenants.access), its data stays as it is. Empty: the agency is in good standing.
    suspended_at = models.DateTimeField(_("suspended"), null=True, blank=True, editable=False)
    # The columns of its portfolio, in order; empty: Pouls' default. Which KPIs may be chosen, and who
    # chooses, is the portfolio's rule (portfolio.services.headline_choice_save).
    headline_kpis = ArrayField(
        models.CharField(max_length=40),
        verbose_name=_("portfolio headline KPIs"),
        default=list,
        blank=True,
        editable=False,
    )

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None


class ClientQuerySet(models.QuerySet):
    def accounts(self) -> ClientQuerySet:
        """Real client accounts: without the row django-tenants keeps for the public schema."""
        return self.exclude(schema_name=get_public_schema_name())


class Client(TenantMixin):
    """A client account, the tenant: its data lives in its own PostgreSQL schema."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=50, unique=True, help_text=_("Appears in URLs: /c/<slug>/"))
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), related_name="clients", on_delete=models.PROTECT, null=True, blank=True
    )
    time_zone = models.CharField(_("time zone"), max_length=64, default="Europe/Paris")
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    # Schemas are created by the provisioning service (cloned from the template) and never
    # dropped by deleting a row: losing a client's data must take a deliberate step.
    auto_create_schema = True
    auto_drop_schema = False

    objects = ClientQuerySet.as_manager()

    def create_schema(self, check_if_exists=False, sync_schema=True, verbosity=1):
        """django-tenants' creation, with the template's DDL replayed rather than cloned through
        ``information_schema`` (``tenants.schema_template``: creation time stays flat as clients grow)."""
        from tenants.schema_template import client_schema_create

        if check_if_exists and schema_exists(self.schema_name):
            return False
        if sync_schema and client_schema_create(self.schema_name):
            return True
        return super().create_schema(check_if_exists=False, sync_schema=sync_schema, verbosity=verbosity)

    class Meta:
        verbose_name = _("client account")
        verbose_name_plural = _("client accounts")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Domain(DomainMixin):
    """In subfolder routing, a client's "domain" is its slug: /c/<domain>/."""

    class Meta:
        verbose_name = _("route")
        verbose_name_plural = _("routes")


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **fields) -> User:
        if not email:
            raise ValueError("An email is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def get_by_natural_key(self, username: str) -> User:
        # Emails are stored lower-cased; people type them any way they like.
        return self.get(email=(username or "").strip().lower())

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Everyone who logs in: agency people, client people and platform staff. Email is the login."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, blank=True, help_text=_("Empty: the agency's.")
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("platform staff"), default=False, help_text=_("May use the platform admin."))
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_unique_ci")]

    def clean(self) -> None:
        super().clean()
        self.email = (self.email or "").strip().lower()

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Role(models.TextChoices):
    OWNER = "owner", _("Agency owner")
    STAFF = "staff", _("Agency staff")
    MANAGER = "manager", _("Client manager")
    SALES = "sales", _("Sales")
    VIEWER = "viewer", _("Viewer (read-only)")


AGENCY_ROLES = (Role.OWNER, Role.STAFF)
CLIENT_ROLES = (Role.MANAGER, Role.SALES, Role.VIEWER)


class Membership(models.Model):
    """A user's way into client accounts: either a whole agency (owner/staff: every client of the
    agency, including future ones) or one client (manager, sales, viewer)."""

    user = models.ForeignKey(User, verbose_name=_("user"), related_name="memberships", on_delete=models.CASCADE)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), related_name="memberships", on_delete=models.CASCADE, null=True, blank=True
    )
    client = models.ForeignKey(
        Client,
        verbose_name=_("client account"),
        related_name="memberships",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.CheckConstraint(
                name="membership_agency_xor_client",
                condition=(
                    Q(agency__isnull=False, client__isnull=True, role__in=[r.value for r in AGENCY_ROLES])
                    | Q(agency__isnull=True, client__isnull=False, role__in=[r.value for r in CLIENT_ROLES])
                ),
                violation_error_message=_(
                    "An agency membership takes the role owner or staff; a client membership takes manager, sales "
                    "or viewer."
                ),
            ),
            models.UniqueConstraint(fields=["user", "agency"], name="membership_unique_user_agency"),
            models.UniqueConstraint(fields=["user", "client"], name="membership_unique_user_client"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.agency or self.client}"


class PendingWork(models.Model):
    """A client with background work waiting, of one kind: the periodic fan-out visits these clients
    only (docs/architecture.md, "Jobs"). Written by statement-level triggers in the client schemas
    (kpis 0007, campaigns 0014: one row per client and kind whatever the writes, ON CONFLICT DO
    NOTHING) and by client creation (its first refresh); taken (deleted) by the fan-out before it
    sends the work, so a mark written while that work runs is a new row for the next cycle."""

    class Kind(models.TextChoices):
        KPIS = "kpis", _("KPI refresh")  # dirty days (kpis.DirtyDay)
        TRACKING = "tracking", _("Tracking rollup")  # unrolled tracking events
        RATE_WINDOWS = "rate_windows", _("Rate windows purge")  # windows to forget after an hour
        IMPORTS = "imports", _("Import jobs left queued")  # campaigns.ImportJob (campaigns 0015)
        ALERT_SENDS = "alert_sends", _("Alert deliveries waiting")  # alerts.AlertDelivery (alerts 0003)
        REPORT_SENDS = "report_sends", _("Report deliveries waiting")  # reports.ReportDelivery (reports 0004)
        REPORTS = "reports", _("Next scheduled report")  # marked_at: the run's local time (reports.pending)

    client = models.ForeignKey(Client, verbose_name=_("client account"), related_name="+", on_delete=models.CASCADE)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    marked_at = models.DateTimeField(_("marked"), default=timezone.now, db_default=Now())

    class Meta:
        verbose_name = _("pending work")
        verbose_name_plural = _("pending work")
        constraints = [models.UniqueConstraint(fields=["client", "kind"], name="pendingwork_unique_client_kind")]

    def __str__(self) -> str:
        return f"{self.client_id} {self.kind}"


class FanoutTick(models.Model):
    """When a periodic fan-out last ran (by name): the nightly refreshes due are the clients whose local
    03:00 passed since then."""

    name = models.CharField(_("name"), max_length=40, primary_key=True)
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("fan-out tick")
        verbose_name_plural = _("fan-out ticks")

    def __str__(self) -> str:
        return f"{self.name} {self.at}"


class SchemaTemplate(models.Model):
    """The DDL of the template schema, generated once per migration state and replayed to create each
    client's schema (``tenants.schema_template``): creating a client then costs the DDL itself, not
    catalog reads that slow down as clients grow."""

    # A digest of the template's applied migrations, the generator's version and the server's version.
    state = models.CharField(_("state"), max_length=64, unique=True)
    statements = models.JSONField(_("statements"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("schema template")
        verbose_name_plural = _("schema templates")

    def __str__(self) -> str:
        return self.state
