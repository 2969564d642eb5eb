"""The one rule for choosing a client's source: the API, the sources page and any admin form call
:func:`source_fields_checked`, so all of them refuse the same input with the same words.

A source is valid when its kind is known, the client's agency holds an active connection on the
kind's platform, the account id has that platform's shape (normalised: Google Ads dashes removed,
Meta's bare digits prefixed with ``act_``), the manager account id is 10 digits or empty (Google
Ads only), and the client has no other source of that kind."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.utils.translation import gettext as _

from config.errors import DomainError
from connectors.models import PROVIDER_OF_KIND, Connection, ConnectionStatus, Source, SourceKind

_GA4 = re.compile(r"^properties/\d+$")
_SEARCH_CONSOLE_URL = re.compile(r"^https?://[^/\s]+(/\S*)?/$")
_SEARCH_CONSOLE_DOMAIN = re.compile(r"^sc-domain:[a-z0-9.-]+\.[a-z]{2,}$", re.IGNORECASE)
_DIGITS = re.compile(r"^\d+$")
_TEN_DIGITS = re.compile(r"^\d{10}$")


class SourceInvalid(DomainError):
    """Every field error of one source at once (the API answers 400 with them)."""

    def __init__(self, errors: dict[str, list[str]]):
        first = next(iter(errors.values()))[0]
        super().__init__(first, field=next(iter(errors)))
        self.errors = errors

    def as_dict(self) -> dict[str, list[str]]:
        return self.errors


@dataclass(frozen=True)
class SourceFields:
    kind: str
    external_id: str
    login_customer_id: str
    connection: Connection


def external_id_normalised(kind: str, value: str) -> str | None:
    """``value`` in the platform's form, or None when it does not have the platform's shape."""
    value = (value or "").strip()
    if kind == SourceKind.GA4:
        return value if _GA4.match(value) else None
    if kind == SourceKind.SEARCH_CONSOLE:
        return value if _SEARCH_CONSOLE_URL.match(value) or _SEARCH_CONSOLE_DOMAIN.match(value) else None
    if kind == SourceKind.GOOGLE_ADS:
        digits = value.replace("-", "")
        return digits if _TEN_DIGITS.match(digits) else None
    if kind == SourceKind.META_ADS:
        if _DIGITS.match(value):
            value = f"act_{value}"
        return value if value.startswith("act_") and _DIGITS.match(value[4:]) else None
    return None


def id_shape_message(kind: str) -> str:
    messages = {
        SourceKind.GA4: _("A GA4 property id reads properties/ followed by digits (properties/123456789)."),
        SourceKind.SEARCH_CONSOLE: _(
            "A Search Console site is a URL ending with / (https://www.example.com/) or sc-domain:example.com."
        ),
        SourceKind.GOOGLE_ADS: _("A Google Ads customer id has 10 digits (123-456-7890)."),
        SourceKind.META_ADS: _("A Meta ad account id reads act_ followed by digits (act_123456789)."),
    }
    return messages[kind]


def active_connection(agency_id: int | None, kind: str) -> Connection | None:
    """The agency's active grant on the platform of ``kind`` (None: not connected, or broken)."""
    if agency_id is None or kind not in SourceKind.values:
        return None
    return Connection.objects.filter(
        agency_id=agency_id, provider=PROVIDER_OF_KIND[SourceKind(kind)], status=ConnectionStatus.ACTIVE
    ).first()


def source_fields_checked(
    client,
    kind: str,
    external_id: str,
    login_customer_id: str = "",
    connection: Connection | None = None,
    *,
    source: Source | None = None,
) -> SourceFields:
    """The fields of ``client``'s source of ``kind``, normalised, or :class:`SourceInvalid` naming each
    bad field. ``connection``: the agency's connection when the caller has it (else read);
    ``source``: the source being changed (it does not conflict with itself)."""
    errors: dict[str, list[str]] = {}
    kind = (kind or "").strip()
    if kind not in SourceKind.values:
        raise SourceInvalid({"kind": [_("Unknown platform: choose ga4, search_console, google_ads or meta_ads.")]})
    if connection is None or connection.status != ConnectionStatus.ACTIVE:
        connection = active_connection(client.agency_id, kind)
    if connection is None or connection.agency_id != client.agency_id:
        provider = PROVIDER_OF_KIND[SourceKind(kind)]
        errors["kind"] = [
            _("The agency has no working %(platform)s connection: an agency owner connects it at /connections/.")
            % {"platform": provider.label}
        ]
    normalised = external_id_normalised(kind, external_id)
    if normalised is None:
        errors["external_id"] = [id_shape_message(kind)]
    login = (login_customer_id or "").strip().replace("-", "")
    if login and kind != SourceKind.GOOGLE_ADS:
        errors["login_customer_id"] = [_("Only a Google Ads source goes through a manager account.")]
    elif login and not _TEN_DIGITS.match(login):
        errors["login_customer_id"] = [_("A manager account id has 10 digits, or leave it empty.")]
    others = Source.objects.filter(client_id=client.pk, kind=kind)
    if source is not None:
        others = others.exclude(pk=source.pk)
    if others.exists():
        errors.setdefault("kind", []).append(
            _("This client already has a %(platform)s source: change or remove it.")
            % {"platform": SourceKind(kind).label}
        )
    if errors:
        raise SourceInvalid(errors)
    return SourceFields(kind=kind, external_id=normalised, login_customer_id=login, connection=connection)
