"""Writes of the public schema: provisioning client accounts, users and memberships."""

from __future__ import annotations

import re
import zoneinfo

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name, schema_exists

from config.errors import DomainError
from config.events import agency_reinstated, agency_suspended
from tenants.models import AGENCY_ROLES, CLIENT_ROLES, Agency, Client, Domain, Language, Membership, Role, User

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# Slugs that would be confusing in URLs or clash with schemas we own.
RESERVED_SLUGS = frozenset({"public", "admin", "api", "static", "template", "tenant-template", "www"})


def _schema_name_for(slug: str) -> str:
    # A prefix keeps client schemas apart from PostgreSQL's and ours (public, tenant_template).
    return "c_" + slug.replace("-", "_")


def client_fields_validate(*, slug: str, name: str, time_zone: str, currency: str) -> None:
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise DomainError(
            _(
                "'%(slug)s' is not a usable slug: use 1-50 lower-case letters, digits and dashes, not starting or "
                "ending with a dash, and not a reserved word."
            )
            % {"slug": slug},
            field="slug",
        )
    if not name.strip():
        raise DomainError(_("A client account needs a name."), field="name")
    if time_zone not in zoneinfo.available_timezones():
        raise DomainError(
            _("'%(time_zone)s' is not an IANA time zone (e.g. Europe/Paris).") % {"time_zone": time_zone},
            field="time_zone",
        )
    if not CURRENCY_RE.match(currency):
        raise DomainError(
            _("'%(currency)s' is not an ISO 4217 currency code (e.g. EUR).") % {"currency": currency}, field="currency"
        )


def agency_get_or_create(*, name: str, default_language: str = Language.FRENCH) -> tuple[Agency, bool]:
    name = name.strip()
    if not name:
        raise DomainError(_("An agency needs a name."), field="agency")
    if default_language not in Language.values:
        raise DomainError(
            _("'%(language)s' is not a supported language.") % {"language": default_language},
            field="default_language",
        )
    return Agency.objects.get_or_create(name=name, defaults={"default_language": default_language})


def template_schema_migrate(*, verbosity: int = 0) -> None:
    """Create (if missing) and migrate the schema new clients are cloned from.

    Cloning is only correct while the template is fully migrated: clients get the template's
    migration records and the rest are faked. ``migrate``/``migrate_schemas`` call this after the
    tenants, so the template moves in lockstep with every client.
    """
    template = settings.TENANT_BASE_SCHEMA
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA IF NOT EXISTS "{template}"')
    call_command("migrate_schemas", schema_name=template, tenant=True, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()


@transaction.atomic
def client_create(
    *,
    slug: str,
    name: str,
    agency: Agency | None = None,
    time_zone: str = "Europe/Paris",
    currency: str = "EUR",
) -> tuple[Client, bool]:
    """Create a client account with its own schema, cloned from the template schema.

    Idempotent on ``slug``: when the client exists it is returned unchanged with ``created=False``.
    All or nothing: a failure leaves no row and no schema behind.
    """
    existing = Client.objects.accounts().filter(slug=slug).first()
    if existing is not None:
        return existing, False
    client_fields_validate(slug=slug, name=name, time_zone=time_zone, currency=currency)
    schema_name = _schema_name_for(slug)
    if schema_exists(schema_name):
        raise DomainError(
            _("A schema named %(schema)s already exists without its client account.") % {"schema": schema_name},
            field="slug",
        )
    if connection.schema_name != get_public_schema_name():
        raise DomainError(_("Client accounts are created from the public schema."))
    client = Client(
        schema_name=schema_name, slug=slug, name=name.strip(), agency=agency, time_zone=time_zone, currency=currency
    )
    client.save(verbosity=0)  # django-tenants clones TENANT_BASE_SCHEMA here
    Domain.objects.create(tenant=client, domain=slug, is_primary=True)
    return client, True


def user_create(*, email: str, password: str | None, full_name: str = "", language: str = "") -> tuple[User, bool]:
    """Create the user, or bring an existing one's password, name and language up to date."""
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise DomainError(_("'%(email)s' is not a valid email address.") % {"email": email}, field="email") from exc
    if language and language not in Language.values:
        raise DomainError(_("'%(language)s' is not a supported language.") % {"language": language}, field="language")
    user = User.objects.filter(email=email).first()
    created = user is None
    if created:
        user = User(email=email)
    if password is not None:
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise DomainError(" ".join(exc.messages), field="password") from exc
        user.set_password(password)
    elif created:
        user.set_unusable_password()
    if full_name:
        user.full_name = full_name
    if language:
        user.language = language
    user.save()
    return user, created


def membership_grant(
    *, user: User, role: str, agency: Agency | None = None, client: Client | None = None
) -> Membership:
    """Give ``user`` a role on a whole agency (owner, staff) or on one client (manager, sales, viewer).

    Granting again replaces the role: one membership per user and agency or client.
    """
    if (agency is None) == (client is None):
        raise DomainError(_("A membership is either for an agency or for one client account."))
    if agency is not None and role not in AGENCY_ROLES:
        raise DomainError(_("An agency role is one of: %(roles)s.") % {"roles": ", ".join(AGENCY_ROLES)}, field="role")
    if client is not None and role not in CLIENT_ROLES:
        raise DomainError(_("A client role is one of: %(roles)s.") % {"roles": ", ".join(CLIENT_ROLES)}, field="role")
    if client is not None and client.schema_name == get_public_schema_name():
        raise DomainError(_("The public schema is not a client account."), field="client")
    membership, __ = Membership.objects.update_or_create(
        user=user, agency=agency, client=client, defaults={"role": Role(role)}
    )
    return membership


@transaction.atomic
def agency_suspend(agency: Agency, *, actor=None) -> bool:
    """Suspend ``agency``: its people can no longer log in nor reach its clients (tenants.access); its
    data stays. Returns whether it changed (suspending a suspended agency does nothing)."""
    changed = Agency.objects.filter(pk=agency.pk, suspended_at__isnull=True).update(suspended_at=timezone.now())
    agency.refresh_from_db(fields=["suspended_at"])
    if changed:
        agency_suspended.send(sender=Agency, actor=actor, agency=agency)
    return bool(changed)


@transaction.atomic
def agency_reinstate(agency: Agency, *, actor=None) -> bool:
    """Lift ``agency``'s suspension. Returns whether it changed."""
    changed = Agency.objects.filter(pk=agency.pk, suspended_at__isnull=False).update(suspended_at=None)
    agency.refresh_from_db(fields=["suspended_at"])
    if changed:
        agency_reinstated.send(sender=Agency, actor=actor, agency=agency)
    return bool(changed)
