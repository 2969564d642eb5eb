"""Google Ads: cost, clicks and impressions by day and campaign (REST ``googleAds:searchStream``, GAQL).

Requests (https://developers.google.com/google-ads/api/rest/common/search and
https://developers.google.com/google-ads/api/docs/concepts/call-structure): every call carries the app's
``developer-token``; a call for a customer reached through a manager account (agencies work through one)
carries that manager's id as ``login-customer-id`` (``Source.login_customer_id``). ``searchStream``
answers the whole report at once, as a JSON array of batches each holding ``results`` (camelCase fields;
int64 values, such as ``metrics.costMicros``, as strings): there is no page to follow.

The UTM campaign of a platform campaign is read from its final URL suffix when it sets ``utm_campaign``
to a plain value (``utm_campaign=ete-2026``); a ValueTrack template (``{_campaign}``) or a tracking template
is not resolved here, and the campaign is then matched by name.

Accounts: the customers the grant reaches directly (``customers:listAccessibleCustomers``, the first
``MAX_ACCESSIBLE``), and for each one that is a manager, its direct clients (``customer_client`` at level
1, at most ``MAX_CLIENTS`` per manager), reached through it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from urllib.parse import parse_qs

from django.conf import settings
from django.utils.translation import gettext as _

from connectors.errors import NotConfigured, SourceRefused
from connectors.http import ApiSession
from connectors.models import SourceKind
from connectors.providers.rows import Account, SpendRow

KIND = SourceKind.GOOGLE_ADS

MAX_ACCESSIBLE = 50  # customers listed by listAccessibleCustomers that Pouls looks into
MAX_CLIENTS = 1000  # clients listed per manager account
MAX_BATCHES = 1000  # searchStream batches read per report (a batch holds up to 10,000 rows)
CUSTOMER_ID = re.compile(r"^\d{10}$")
MICROS = Decimal(1_000_000)
CENT = Decimal("0.01")

SPEND_QUERY = (
    "SELECT segments.date, campaign.id, campaign.name, campaign.final_url_suffix, metrics.cost_micros, "
    "metrics.clicks, metrics.impressions FROM campaign WHERE segments.date BETWEEN '{start}' AND '{end}'"
)
CURRENCY_QUERY = "SELECT customer.currency_code FROM customer"
CUSTOMER_QUERY = "SELECT customer.id, customer.descriptive_name, customer.currency_code, customer.manager FROM customer"
# LIMIT: MAX_CLIENTS and the manager itself, its own level-0 client.
CLIENTS_QUERY = (
    "SELECT customer_client.id, customer_client.descriptive_name, customer_client.currency_code, "
    "customer_client.manager FROM customer_client WHERE customer_client.level <= 1 LIMIT 1001"
)


def money(cost_micros: str | int) -> Decimal:
    """Micros of the account's currency to an amount with cents. Rounded half up, as the Google Ads
    interface shows amounts (Decimal's default, half even, would put some half cents on the other side
    of what the agency reads there); ``Spend.amount`` keeps two decimal places."""
    return (Decimal(int(cost_micros)) / MICROS).quantize(CENT, rounding=ROUND_HALF_UP)


def customer_id(value: str) -> str:
    """A customer id as the API takes it: 10 digits, without the dashes the interface shows."""
    digits = (value or "").replace("-", "").strip()
    if not CUSTOMER_ID.match(digits):
        raise SourceRefused(_("“%(id)s” is not a Google Ads customer id.") % {"id": (value or "")[:200]})
    return digits


def utm_campaign(final_url_suffix: str) -> str:
    """The ``utm_campaign`` a final URL suffix sets, "" when absent or a ValueTrack template."""
    values = parse_qs(final_url_suffix or "").get("utm_campaign") or [""]
    value = values[0].strip()
    return "" if "{" in value else value[:200]


def _headers(login_customer_id: str = "") -> dict[str, str]:
    token = settings.POULS_GOOGLE_ADS_DEVELOPER_TOKEN
    if not token:
        raise NotConfigured(_("Google Ads needs a developer token: set POULS_GOOGLE_ADS_DEVELOPER_TOKEN."))
    headers = {"developer-token": token}
    if login_customer_id:
        headers["login-customer-id"] = customer_id(login_customer_id)
    return headers


def _unexpected(what: str) -> SourceRefused:
    return SourceRefused(_("The platform's answer is not in the documented format (%(what)s).") % {"what": what})


def search(session: ApiSession, customer: str, query: str, login_customer_id: str = "") -> Iterator[dict]:
    """The result rows of one GAQL query, every batch of the stream."""
    answer = session.request(
        "POST",
        f"{settings.POULS_GOOGLE_ADS_URL}/customers/{customer_id(customer)}/googleAds:searchStream",
        json_body={"query": query},
        headers=_headers(login_customer_id),
    )
    if not isinstance(answer, list):
        raise _unexpected("searchStream")
    if len(answer) > MAX_BATCHES:
        raise SourceRefused(
            _("The platform kept answering past %(pages)s pages; Pouls stopped reading.") % {"pages": MAX_BATCHES}
        )
    for batch in answer:
        if not isinstance(batch, dict):
            raise _unexpected("searchStream batch")
        yield from batch.get("results") or []


def rows(session: ApiSession, source, start: date, end: date) -> Iterator[SpendRow]:
    """Cost, clicks and impressions per day and campaign (days in the account's time zone)."""
    if start > end:
        raise ValueError(f"start {start} is after end {end}")
    query = SPEND_QUERY.format(start=start.isoformat(), end=end.isoformat())
    for result in search(session, source.external_id, query, source.login_customer_id):
        try:
            campaign, metrics = result["campaign"], result.get("metrics") or {}
            yield SpendRow(
                date=date.fromisoformat(result["segments"]["date"]),
                campaign_id=str(campaign["id"]),
                campaign_name=(campaign.get("name") or str(campaign["id"]))[:200],
                # A metric at zero may be left out of the JSON (proto3 defaults).
                cost=money(metrics.get("costMicros", 0)),
                clicks=int(metrics.get("clicks", 0)),
                impressions=int(metrics.get("impressions", 0)),
                utm_campaign=utm_campaign(campaign.get("finalUrlSuffix", "")),
            )
        except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
            raise _unexpected("searchStream row") from exc


def currency(session: ApiSession, source) -> str:
    """The customer's ISO 4217 currency code."""
    for result in search(session, source.external_id, CURRENCY_QUERY, source.login_customer_id):
        return str((result.get("customer") or {}).get("currencyCode") or "")
    return ""


def accounts(session: ApiSession, connection) -> list[Account]:
    """The customers the grant can read: the directly accessible ones that are not managers, and the
    direct clients of the accessible managers (with ``manager_id`` the manager to log in through)."""
    answer = session.request(
        "GET", f"{settings.POULS_GOOGLE_ADS_URL}/customers:listAccessibleCustomers", headers=_headers()
    )
    if not isinstance(answer, dict):
        raise _unexpected("listAccessibleCustomers")
    accessible = [name.removeprefix("customers/") for name in answer.get("resourceNames") or []][:MAX_ACCESSIBLE]
    found: dict[str, Account] = {}
    managers: list[str] = []
    for customer in accessible:
        try:
            details = next(iter(search(session, customer, CUSTOMER_QUERY, customer)), None)
        except SourceRefused:
            continue  # a cancelled or suspended account is listed but cannot be read
        info = (details or {}).get("customer") or {}
        if info.get("manager"):
            managers.append(customer)
        elif info:
            found[customer] = Account(
                id=customer, name=(info.get("descriptiveName") or customer)[:300], currency=info.get("currencyCode", "")
            )
    for manager in managers:
        for result in search(session, manager, CLIENTS_QUERY, manager):
            client = result.get("customerClient") or {}
            client_id = str(client.get("id", ""))
            if client.get("manager") or not CUSTOMER_ID.match(client_id) or client_id in found:
                continue
            found[client_id] = Account(
                id=client_id,
                name=(client.get("descriptiveName") or client_id)[:300],
                currency=client.get("currencyCode", ""),
                manager_id=manager,
            )
    return list(found.values())
