"""Google Search Console: clicks and impressions by day and query (Search Analytics ``query``).

Requests (https://developers.google.com/webmaster-tools/v1/searchanalytics/query): ``dimensions`` date and
query, ``rowLimit`` rows from ``startRow`` until a page comes back shorter than asked (the API gives no
total). The answer is sorted by clicks, not by day, so the period is read in windows of ``WINDOW_DAYS``
and each window's rows are added up by day and keyword before they are handed over: Pouls keeps keywords
lower-cased and trimmed (``KeywordStat``), so two queries Google tells apart ("Vélo " and "vélo") are one
keyword here.

``dataState`` is "all": the last two or three days, still fresh in Search Console, are read too instead
of being missing; Google restates them within those days, and the daily pull re-reads the last 7 days,
so the final numbers replace the fresh ones.

Accounts: the sites of the grant (``sites.list``), except those it is not verified for."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from urllib.parse import quote

from django.conf import settings
from django.utils.translation import gettext as _

from connectors.errors import SourceRefused
from connectors.http import ApiSession
from connectors.models import SourceKind
from connectors.providers.rows import Account, KeywordRow

KIND = SourceKind.SEARCH_CONSOLE

PAGE_SIZE = 25_000  # rows per query: the API's maximum rowLimit
WINDOW_DAYS = 7  # days per query: bounds what is summed in memory at once
MAX_PAGES = 1000  # a bound on one window's pages
KEYWORD_MAX_LENGTH = 300  # KeywordStat.keyword


def normalised_keyword(query: str) -> str:
    """A query as Pouls keeps keywords: trimmed, lower-cased, at most 300 characters (trimmed again after
    the cut, as the database checks ``keyword = lower(trim(keyword))``)."""
    return query.strip().lower()[:KEYWORD_MAX_LENGTH].strip()


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise ValueError(f"start {start} is after end {end}")


def _unexpected(what: str) -> SourceRefused:
    return SourceRefused(_("The platform's answer is not in the documented format (%(what)s).") % {"what": what})


def _site_url(site: str) -> str:
    # The site is one path segment: "https://www.example.fr/" and "sc-domain:example.fr" fully encoded.
    return f"{settings.POULS_SEARCH_CONSOLE_URL}/webmasters/v3/sites/{quote(site, safe='')}"


def _window(session: ApiSession, site: str, start: date, end: date) -> dict[tuple[date, str], tuple[int, int]]:
    totals: dict[tuple[date, str], tuple[int, int]] = {}
    start_row = 0
    for _page in range(MAX_PAGES):
        body = {
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "dimensions": ["date", "query"],
            "type": "web",
            "dataState": "all",
            "rowLimit": PAGE_SIZE,
            "startRow": start_row,
        }
        answer = session.request("POST", f"{_site_url(site)}/searchAnalytics/query", json_body=body)
        if not isinstance(answer, dict):
            raise _unexpected("searchAnalytics.query")
        page = answer.get("rows") or []  # no rows at all: the key is absent
        for row in page:
            try:
                day, query = row["keys"]
                key = (date.fromisoformat(day), normalised_keyword(query))
                clicks, impressions = round(float(row.get("clicks", 0))), round(float(row.get("impressions", 0)))
            except (KeyError, TypeError, ValueError) as exc:
                raise _unexpected("searchAnalytics.query row") from exc
            if not key[1]:
                continue
            before = totals.get(key, (0, 0))
            totals[key] = (before[0] + clicks, before[1] + impressions)
        if len(page) < PAGE_SIZE:
            return totals
        start_row += len(page)
    raise SourceRefused(
        _("The platform kept answering past %(pages)s pages; Pouls stopped reading.") % {"pages": MAX_PAGES}
    )


def rows(session: ApiSession, source, start: date, end: date) -> Iterator[KeywordRow]:
    """Clicks and impressions per day and keyword on Google's web search, every page read (days in Pacific
    time, as Search Console reports them)."""
    _check_period(start, end)
    window_start = start
    while window_start <= end:
        window_end = min(window_start + timedelta(days=WINDOW_DAYS - 1), end)
        totals = _window(session, source.external_id, window_start, window_end)
        for (day, keyword), (clicks, impressions) in sorted(totals.items()):
            yield KeywordRow(date=day, keyword=keyword, clicks=clicks, impressions=impressions)
        window_start = window_end + timedelta(days=1)


def accounts(session: ApiSession, connection) -> list[Account]:
    """The sites the grant is verified for (owner, full or restricted user)."""
    answer = session.request("GET", f"{settings.POULS_SEARCH_CONSOLE_URL}/webmasters/v3/sites")
    if not isinstance(answer, dict):
        raise _unexpected("sites.list")
    return [
        Account(id=entry["siteUrl"], name=entry["siteUrl"])
        for entry in answer.get("siteEntry") or []
        if entry.get("siteUrl") and entry.get("permissionLevel") != "siteUnverifiedUser"
    ]


def currency(session: ApiSession, source) -> str:
    """Search Console reports no money."""
    return ""
