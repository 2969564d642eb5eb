"""Writes of the public schema: provisioning client accounts, users and memberships."""

from __future__ import annotations

import re

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
from config.events import (
    agency_reinstated,
    agency_suspended,
    client_archived,
    client_created,
    client_restored,
    client_updated,
)
from tenants.client_choices import known_time_zones, supported_currencies
from tenants.models import AGENCY_ROLES, CLIENT_ROLES, Agency, Client, Domain, Language, Membership, Role, User
from tenants.schema_template import template_statements_refresh

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,48}[a-z0-9])?$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")
# Slugs that would be confusing in URLs or clash with schemas we own.
RESERVED_SLUGS = frozenset({"public", "admin", "api", "static", "template", "tenant-template", "www"})
CLIENT_NAME_MAX_LENGTH = Client._meta.get_field("name").max_length
# How much of a refused value a message repeats: enough to recognise it, never a whole pasted page.
SHOWN_MAX_LENGTH = 60
# The fields of a client account its agency may change (client_update); the slug is fixed (see there).
CLIENT_SETTINGS = ("name", "time_zone", "currency")


def _schema_name_for(slug: str) -> str:
    # A prefix keeps client schemas apart from PostgreSQL's and ours (public, tenant_template).
    return "c_" + slug.replace("-", "_")


def _shown(value: str) -> str:
    return value if len(value) <= SHOWN_MAX_LENGTH else value[: SHOWN_MAX_LENGTH - 1] + "…"


# --- the rule of a client account's fields ---------------------------------------------------------
# One rule for every way in (the create_client command, the platform admin, the portfolio's pages and
# the clients API): the same value is normalised the same way and refused in the same words.


def client_slug_checked(slug: str) -> str:
    slug = (slug or "").strip()
    if not SLUG_RE.match(slug) or slug in RESERVED_SLUGS:
        raise DomainError(
            _(
                "'%(slug)s' is not a usable slug: use 1-50 lower-case letters, digits and dashes, not starting or "
                "ending with a dash, and not a reserved word."
            )
            % {"slug": _shown(slug)},
            field="slug",
        )
    return slug


def client_name_checked(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("A client account needs a name."), field="name")
    if len(name) > CLIENT_NAME_MAX_LENGTH:
        raise DomainError(
            _("A client account's name has at most %(max)d characters.") % {"max": CLIENT_NAME_MAX_LENGTH},
            field="name",
        )
    return name


def client_time_zone_checked(time_zone: str) -> str:
    time_zone = (time_zone or "").strip()
    if time_zone not in known_time_zones():
        raise DomainError(
            _("'%(time_zone)s' is not an IANA time zone (e.g. Europe/Paris).") % {"time_zone": _shown(time_zone)},
            field="time_zone",
        )
    return time_zone


def client_currency_checked(currency: str) -> str:
    """An ISO 4217 code in use (``tenants.client_choices``), upper-cased: "eur" is EUR."""
    currency = (currency or "").strip().upper()
    if not CURRENCY_RE.match(currency) or currency not in supported_currencies():
        raise DomainError(
            _("'%(currency)s' is not an ISO 4217 currency code (e.g. EUR).") % {"currency": _shown(currency)},
            field="currency",
        )
    return currency


CLIENT_FIELD_RULES = {
    "slug": client_slug_checked,
    "name": client_name_checked,
    "time_zone": client_time_zone_checked,
    "currency": client_currency_checked,
}


def client_fields_checked(**fields: str) -> dict[str, str]:
    """The given fields of a client account (slug, name, time_zone, currency), normalised; a
    ``DomainError`` naming the first one refused, in the order above."""
    return {field: rule(fields[field]) for field, rule in CLIENT_FIELD_RULES.items() if field in fields}


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
    template_statements_refresh()


@transaction.atomic
def client_create(
    *,
    slug: str,
    name: str,
    agency: Agency | None = None,
    time_zone: str = "Europe/Paris",
    currency: str = "EUR",
    actor=None,
    exists_ok: bool = True,
) -> tuple[Client, bool]:
    """Create a client account with its own schema, cloned from the template schema, and announce it
    (``config.events.client_created``, with ``actor``: the audit log records it).

    With ``exists_ok`` (the command, the demo, the admin), idempotent on ``slug``: when the client
    exists it is returned unchanged with ``created=False``. Without it (the portfolio's page and the
    API), a slug already taken is refused. All or nothing: a failure leaves no row and no schema behind.
    Two creations of one slug at once are taken in turn (a lock on the slug for the transaction), so
    the second finds the first's client instead of failing on the database's unique key.
    """
    slug = (slug or "").strip()
    if exists_ok and (existing := Client.objects.accounts().filter(slug=slug).first()) is not None:
        return existing, False
    fields = client_fields_checked(slug=slug, name=name, time_zone=time_zone, currency=currency)
    if connection.schema_name != get_public_schema_name():
        raise DomainError(_("Client accounts are created from the public schema."))
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"pouls.client_create:{slug}"])
    existing = Client.objects.filter(slug=slug).first()  # read after the lock: a creation just committed
    if existing is not None:
        if exists_ok and existing.schema_name != get_public_schema_name():
            return existing, False
        raise DomainError(_("The slug '%(slug)s' is already taken: choose another one.") % {"slug": slug}, field="slug")
    schema_name = _schema_name_for(slug)
    if schema_exists(schema_name):
        raise DomainError(
            _("A schema named %(schema)s already exists without its client account.") % {"schema": schema_name},
            field="slug",
        )
    client = Client(schema_name=schema_name, agency=agency, **fields)
    client.save(verbosity=0)  # django-tenants clones TENANT_BASE_SCHEMA here
    Domain.objects.create(tenant=client, domain=slug, is_primary=True)
    client_created.send(sender=Client, actor=actor, client=client)
    return client, True


def client_settings_changeable(client: Client) -> None:
    """An archived client account's settings do not change: it is restored first."""
    if not client.is_active:
        raise DomainError(_("This client account is archived: restore it before changing it."))


def _client_locked(client: Client) -> Client:
    return Client.objects.accounts().select_for_update().get(pk=client.pk)


@transaction.atomic
def client_update(client: Client, *, actor=None, **changes: str) -> dict[str, str]:
    """Change a client account's settings (``CLIENT_SETTINGS``: name, time zone, currency), each by the
    rule of ``client_fields_checked``; only the fields that change are checked, so a row older than a
    rule keeps its other values. Announces the changes (``config.events.client_updated``) and returns
    them (field -> new value; empty when nothing changed). ``client`` is brought up to date.

    The slug is fixed: it names the client's schema and every address under ``/c/<slug>/`` that lives
    outside Pouls (capture forms and tracking snippets on the client's sites, providers' webhooks,
    bookmarks, API scripts). A changed slug is refused; the same slug passes. An archived client
    account is restored before it is changed.
    """
    if "slug" in changes:
        slug = (changes.pop("slug") or "").strip()
        if slug != client.slug:
            raise DomainError(
                _(
                    "The slug of a client account cannot change: it names its data and every address under "
                    "/c/%(slug)s/, such as the capture forms and tracking snippets on your client's sites."
                )
                % {"slug": client.slug},
                field="slug",
            )
    unknown = set(changes) - set(CLIENT_SETTINGS)
    if unknown:
        raise ValueError(f"Not a setting of a client account: {', '.join(sorted(unknown))}")
    locked = _client_locked(client)
    client_settings_changeable(locked)
    proposed = {field: value for field, value in changes.items() if value is not None}
    checked = client_fields_checked(**{f: v for f, v in proposed.items() if v != getattr(locked, f)})
    changed = {field: value for field, value in checked.items() if value != getattr(locked, field)}
    if changed:
        for field, value in changed.items():
            setattr(locked, field, value)
        locked.save(update_fields=list(changed))
        client_updated.send(sender=Client, actor=actor, client=locked, changes=changed)
    for field in CLIENT_SETTINGS:
        setattr(client, field, getattr(locked, field))
    return changed


@transaction.atomic
def client_archive(client: Client, *, actor=None) -> bool:
    """Archive a client account: from the next request its people, the agency's included, reach
    nothing there (``tenants.access`` fails closed on an inactive client) and periodic work skips it
    (``tenants.fanout``); its schema and data stay as they are. Returns whether it changed (archiving
    an archived client does nothing)."""
    return _client_activation(client, active=False, actor=actor)


@transaction.atomic
def client_restore(client: Client, *, actor=None) -> bool:
    """Bring an archived client account back, as it was. Returns whether it changed."""
    return _client_activation(client, active=True, actor=actor)


def _client_activation(client: Client, *, active: bool, actor) -> bool:
    changed = Client.objects.accounts().filter(pk=client.pk, is_active=not active).update(is_active=active)
    client.is_active = active if changed else Client.objects.values_list("is_active", flat=True).get(pk=client.pk)
    if changed:
        (client_restored if active else client_archived).send(sender=Client, actor=actor, client=client)
    return bool(changed)


def user_create_or_update(
    *, email: str, password: str | None, full_name: str = "", language: str = ""
) -> tuple[User, bool]:
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
