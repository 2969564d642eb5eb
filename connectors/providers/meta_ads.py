"""Meta Ads: an ad account's spend, clicks and impressions by day and campaign (Marketing API, Graph).

Three reads, all under ``POULS_META_GRAPH_URL`` (``https://graph.facebook.com/v23.0``):

- ``rows``: ``GET /act_<id>/insights`` with ``level=campaign`` and ``time_increment=1`` (one row per
  campaign and day, ``spend`` a decimal string in the account's currency, ``clicks`` and
  ``impressions`` integer strings), every cursor page followed through ``paging.next``;
- ``currency``: ``GET /act_<id>?fields=currency,name,account_status``;
- ``accounts``: ``GET /me/adaccounts``, the ad accounts the grant reads, cursor-paged.

Meta answers most failures with HTTP 400 and a Graph error body (``error.code``); ``classify`` turns
its rate-limit and token codes into what ``ApiSession`` retries or refreshes. While the usage
headers (``X-Business-Use-Case-Usage``, ``X-Ad-Account-Usage``) climb, Meta only warns; the actual
refusal is one of those codes, so they are what we act on.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from connectors.errors import SourceRefused
from connectors.http import ApiSession
from connectors.models import Connection, Source, SourceKind
from connectors.providers.rows import Account, SpendRow

logger = logging.getLogger(__name__)

KIND = SourceKind.META_ADS

# Rows per insights page (Meta's default is 25; a page of 500 campaign-days stays small).
PAGE_SIZE = 500
# Pages read for one request before giving up: an insights chunk of 31 days at 500 rows a page reads
# 100,000 campaign-days (3,000 campaigns active every day); the ad accounts a grant reads, 50 pages.
MAX_INSIGHTS_PAGES = 200
MAX_ACCOUNT_PAGES = 50
# Days per insights request. Meta refuses a query whose rows or data points pass its per-call limits
# (error 100, subcode 1487534) and times out synchronous queries over long ranges ("Please reduce the
# amount of data you're asking for"), pointing to asynchronous report jobs. A month of campaign-days
# per request stays well inside both, so a 13-month backfill is 14 small synchronous requests rather
# than one that may fail or an async job to poll. (Meta keeps 37 months of insights; our backfill
# reads 13.)
CHUNK_DAYS = 31
INSIGHTS_FIELDS = "campaign_id,campaign_name,spend,clicks,impressions,date_start"
ACCOUNT_FIELDS = "currency,name,account_status"
ADACCOUNTS_FIELDS = "id,name,currency,account_status"
ACCOUNT_ACTIVE = 1  # account_status: 1 active, 2 disabled, 3 unsettled, 101 closed, ...

# Graph error codes (developers.facebook.com/docs/graph-api/guides/error-handling and
# /docs/marketing-api/insights/best-practices): application (4), user (17), page/API (32) and ad
# account (613) request limits, and the Business Use Case limits 80000-80014 (insights, ads
# management, ...), all answered with HTTP 400; 2 is Meta's "service temporarily unavailable".
THROTTLED_CODES = frozenset({2, 4, 17, 32, 613, *range(80000, 80015)})
# 190: the access token expired, was revoked or is invalid (subcodes 458-467 say which); 102: the
# session behind the token is gone.
UNAUTHORIZED_CODES = frozenset({102, 190})

_ACCOUNT_ID = re.compile(r"^(?:act_)?(\d{1,30})$")


def classify(response: httpx.Response) -> str | None:
    """What a Graph error answer means for ``ApiSession``: "throttled", "unauthorized" or None (as its
    status says: any other 400 is the platform refusing the request)."""
    if response.status_code < 400:
        return None
    try:
        error = response.json().get("error")
    except (ValueError, AttributeError):
        return None
    if not isinstance(error, dict):
        return None
    code = error.get("code")
    if code in UNAUTHORIZED_CODES:
        return "unauthorized"
    # Meta marks the errors worth retrying as is; the codes above say the same for rate limits.
    if code in THROTTLED_CODES or error.get("is_transient") is True:
        return "throttled"
    return None


def _graph_url(path: str) -> str:
    return f"{settings.POULS_META_GRAPH_URL.rstrip('/')}/{path}"


def account_path(external_id: str) -> str:
    """``act_<digits>`` from what a source stores ("act_123" or "123"); anything else is refused rather
    than pasted into a URL."""
    match = _ACCOUNT_ID.match(external_id.strip())
    if match is None:
        raise SourceRefused(
            _("%(id)s is not a Meta ad account id (act_ followed by digits).") % {"id": external_id[:60]}
        )
    return f"act_{match.group(1)}"


def chunks(start: date, end: date, days: int = CHUNK_DAYS) -> Iterator[tuple[date, date]]:
    """``start``..``end`` (both included) in consecutive ranges of at most ``days`` days."""
    while start <= end:
        until = min(start + timedelta(days=days - 1), end)
        yield start, until
        start = until + timedelta(days=1)


def _next_page(body: dict) -> str:
    """The ``paging.next`` URL to follow, "" on the last page. It must stay under the Graph URL we are
    configured for (``ApiSession`` only checks that it is under one of the platforms' URLs). Meta puts
    the caller's ``access_token`` in it when the request had one: it is dropped, the session's header
    carries the current token (refreshed, maybe, since the page before)."""
    paging = body.get("paging")
    link = paging.get("next") if isinstance(paging, dict) else None
    if not link:
        return ""
    if not isinstance(link, str) or not _under_graph(link):
        raise SourceRefused(
            _("Meta's next page is not under the configured Graph URL: %(url)s") % {"url": str(link)[:200]}
        )
    parts = urlsplit(link)
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "access_token"])
    return urlunsplit(parts._replace(query=query))


def _under_graph(url: str) -> bool:
    target, base = urlsplit(url), urlsplit(settings.POULS_META_GRAPH_URL)
    prefix = base.path.rstrip("/") + "/"
    return (target.scheme, target.netloc) == (base.scheme, base.netloc) and target.path.startswith(prefix)


def _pages(session: ApiSession, url: str, params: dict, max_pages: int) -> Iterator[list]:
    """The ``data`` of each page, following ``paging.next`` until there is none, at most ``max_pages``."""
    for _page in range(max_pages):
        body = session.request("GET", url, params=params, classify=classify)
        if not isinstance(body, dict) or not isinstance(body.get("data", []), list):
            raise SourceRefused(_("Meta answered a page Pouls cannot read."))
        yield body.get("data", [])
        url, params = _next_page(body), None  # the next link carries every parameter and the cursor
        if not url:
            return
    raise SourceRefused(
        _("Meta kept answering more pages after %(pages)s; Pouls stopped reading.") % {"pages": max_pages}
    )


def _count(value: object) -> int:
    number = int(value or 0)  # Meta leaves out a metric that is zero on some rows
    if number < 0:
        raise ValueError(value)
    return number


def spend_row(item: dict) -> SpendRow:
    """One insights row: ``spend`` "12.3" in the account's currency → Decimal("12.30")."""
    try:
        cost = Decimal(str(item.get("spend") or "0")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        if not cost.is_finite() or cost < 0:
            raise ValueError(item.get("spend"))
        return SpendRow(
            date=date.fromisoformat(item["date_start"]),
            campaign_id=str(item["campaign_id"]),
            campaign_name=str(item.get("campaign_name") or item["campaign_id"])[:400],
            cost=cost,
            clicks=_count(item.get("clicks")),
            impressions=_count(item.get("impressions")),
            # Meta campaigns carry no UTM campaign (it lives in each ad's URL parameters, which a
            # campaign-level report does not return): the mapping is edited in Pouls when needed.
            utm_campaign="",
        )
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        raise SourceRefused(
            _("Meta answered an insights row Pouls cannot read: %(row)s") % {"row": json.dumps(item)[:200]}
        ) from exc


def rows(session: ApiSession, source: Source, start: date, end: date) -> Iterator[SpendRow]:
    """Spend of ``source``'s ad account per campaign and day from ``start`` to ``end`` (both included,
    in the account's time zone, as Meta reports days), month-sized request after request.

    Synchronous requests only: when Meta suggests an asynchronous report job (a range too large), the
    chunks are already as small as we make them, so the error is shown as it is rather than polled."""
    url = _graph_url(f"{account_path(source.external_id)}/insights")
    for since, until in chunks(start, end):
        params = {
            "level": "campaign",
            "time_increment": "1",
            "time_range": json.dumps({"since": since.isoformat(), "until": until.isoformat()}),
            "fields": INSIGHTS_FIELDS,
            "limit": str(PAGE_SIZE),
        }
        for data in _pages(session, url, params, MAX_INSIGHTS_PAGES):
            for item in data:
                yield spend_row(item)


def currency(session: ApiSession, source: Source) -> str:
    """The ad account's ISO 4217 currency. A disabled or closed account (``account_status`` not 1)
    still answers its past insights, so it is noted, not refused."""
    path = account_path(source.external_id)
    body = session.request("GET", _graph_url(path), params={"fields": ACCOUNT_FIELDS}, classify=classify)
    code = str(body.get("currency") or "").upper() if isinstance(body, dict) else ""
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise SourceRefused(_("Meta did not say the currency of the ad account %(id)s.") % {"id": path})
    if body.get("account_status") != ACCOUNT_ACTIVE:
        logger.info("Meta ad account %s has account_status %s: reading its past data", path, body.get("account_status"))
    return code


def accounts(session: ApiSession, connection: Connection) -> list[Account]:
    """The ad accounts the connection's grant reads (the person's own and their businesses')."""
    found: list[Account] = []
    params = {"fields": ADACCOUNTS_FIELDS, "limit": str(PAGE_SIZE)}
    for data in _pages(session, _graph_url("me/adaccounts"), params, MAX_ACCOUNT_PAGES):
        for item in data:
            if not isinstance(item, dict) or not _ACCOUNT_ID.match(str(item.get("id", ""))):
                continue
            account_id = account_path(str(item["id"]))
            found.append(
                Account(
                    id=account_id,
                    name=str(item.get("name") or account_id),
                    currency=str(item.get("currency") or "").upper(),
                )
            )
    return found
