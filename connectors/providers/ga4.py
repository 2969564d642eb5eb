"""Google Analytics 4: sessions by day, session default channel group and landing page (Data API ``runReport``).

Requests (https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport):
one ``runReport`` per page, ``limit`` rows from ``offset`` until the answer's ``rowCount`` is reached,
ordered by every dimension so that the pages of one report never overlap or skip a row. GA4's channel
groups are mapped onto Pouls' channel keys (``GA4_CHANNELS``); several groups can fall on one key, so
the sessions of one day, key and landing page are added up before they are handed to the sync (the
report is ordered by day first, so one day is summed at a time).

Accounts: the properties of the grant's GA4 accounts (Admin API ``accountSummaries``,
https://developers.google.com/analytics/devguides/config/admin/v1/rest/v1beta/accountSummaries/list)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _

from connectors.errors import SourceRefused
from connectors.http import ApiSession
from connectors.models import SourceKind
from connectors.providers.rows import Account, TrafficRow

KIND = SourceKind.GA4

PAGE_SIZE = 100_000  # rows per runReport (the API answers at most 250,000)
ADMIN_PAGE_SIZE = 200  # account summaries per page (the API's maximum)
MAX_PAGES = 1000  # a bound on one report's pages: past it the answer is not what the API documents
PROPERTY_ID = re.compile(r"^properties/\d{1,20}$")

# GA4's default channel groups (https://support.google.com/analytics/answer/9756891), lower-cased, -> the
# Pouls channel key (campaigns/channels.py follows the same grouping). Groups Pouls has no channel for go to
# the nearest one with the same paid flag; anything else ("Unassigned", "(other)" where GA4 folds rare rows,
# a group Google adds later) is ``unassigned``.
GA4_CHANNELS: dict[str, str] = {
    "affiliates": "affiliates",
    "audio": "paid_other",  # audio ads (medium "audio")
    "cross-network": "paid_other",  # Performance Max and other campaigns across Google's networks
    "direct": "direct",
    "display": "display",
    "email": "email",
    "mobile push notifications": "unassigned",  # no push channel in Pouls
    "organic search": "organic_search",
    "organic shopping": "organic_shopping",
    "organic social": "organic_social",
    "organic video": "organic_video",
    "paid other": "paid_other",
    "paid search": "paid_search",
    "paid shopping": "paid_shopping",
    "paid social": "paid_social",
    "paid video": "paid_video",
    "referral": "referral",
    "sms": "sms",
    "unassigned": "unassigned",
}
UNASSIGNED = "unassigned"
DIMENSIONS = ("date", "sessionDefaultChannelGroup", "landingPage")


def channel_key(group: str) -> str:
    """The Pouls channel key of a GA4 session default channel group."""
    return GA4_CHANNELS.get(group.strip().lower(), UNASSIGNED)


def _check_period(start: date, end: date) -> None:
    if start > end:
        raise ValueError(f"start {start} is after end {end}")


def _too_many_pages() -> SourceRefused:
    return SourceRefused(
        _("The platform kept answering past %(pages)s pages; Pouls stopped reading.") % {"pages": MAX_PAGES}
    )


def _unexpected(what: str) -> SourceRefused:
    return SourceRefused(_("The platform's answer is not in the documented format (%(what)s).") % {"what": what})


def _report_page(session: ApiSession, prop: str, start: date, end: date, offset: int) -> dict:
    body = {
        "dateRanges": [{"startDate": start.isoformat(), "endDate": end.isoformat()}],
        "dimensions": [{"name": name} for name in DIMENSIONS],
        "metrics": [{"name": "sessions"}],
        "orderBys": [{"dimension": {"dimensionName": name}} for name in DIMENSIONS],
        "keepEmptyRows": False,
        "limit": str(PAGE_SIZE),  # int64 fields are strings in Google's JSON
        "offset": str(offset),
    }
    answer = session.request("POST", f"{settings.POULS_GA4_DATA_URL}/v1beta/{prop}:runReport", json_body=body)
    if not isinstance(answer, dict):
        raise _unexpected("runReport")
    return answer


def _parse(row: dict) -> tuple[date, str, str, int]:
    try:
        day, group, landing = (value["value"] for value in row["dimensionValues"])
        sessions = int(row["metricValues"][0]["value"])
        if len(day) != 8 or not day.isdigit():
            raise ValueError(day)
        return date(int(day[:4]), int(day[4:6]), int(day[6:])), channel_key(group), landing or "(not set)", sessions
    except (KeyError, IndexError, TypeError, ValueError) as exc:
        raise _unexpected("runReport row") from exc


def _report_rows(session: ApiSession, prop: str, start: date, end: date) -> Iterator[tuple[date, str, str, int]]:
    offset = 0
    for _page in range(MAX_PAGES):
        answer = _report_page(session, prop, start, end, offset)
        rows = answer.get("rows") or []  # an empty report has neither rows nor rowCount
        for row in rows:
            yield _parse(row)
        offset += len(rows)
        if not rows or offset >= int(answer.get("rowCount") or 0):
            return
    raise _too_many_pages()


def rows(session: ApiSession, source, start: date, end: date) -> Iterator[TrafficRow]:
    """Sessions per day, Pouls channel and landing page, every page read (days in the property's zone)."""
    _check_period(start, end)
    if not PROPERTY_ID.match(source.external_id):
        raise SourceRefused(_("“%(id)s” is not a GA4 property id.") % {"id": source.external_id[:200]})
    day: date | None = None
    totals: dict[tuple[str, str], int] = {}
    for row_day, key, landing, sessions in _report_rows(session, source.external_id, start, end):
        if day is not None and row_day != day:
            yield from _day_rows(day, totals)
            totals = {}
        day = row_day
        totals[(key, landing)] = totals.get((key, landing), 0) + sessions
    if day is not None:
        yield from _day_rows(day, totals)


def _day_rows(day: date, totals: dict[tuple[str, str], int]) -> Iterator[TrafficRow]:
    for (key, landing), visits in totals.items():
        yield TrafficRow(date=day, channel_key=key, landing_path=landing, visits=visits)


def accounts(session: ApiSession, connection) -> list[Account]:
    """The GA4 properties the grant can read, named "property (account)"."""
    found: list[Account] = []
    token = ""
    for _page in range(MAX_PAGES):
        params = {"pageSize": ADMIN_PAGE_SIZE, **({"pageToken": token} if token else {})}
        answer = session.request("GET", f"{settings.POULS_GA4_ADMIN_URL}/v1beta/accountSummaries", params=params)
        if not isinstance(answer, dict):
            raise _unexpected("accountSummaries")
        for summary in answer.get("accountSummaries") or []:
            account_name = summary.get("displayName") or summary.get("account", "")
            for prop in summary.get("propertySummaries") or []:
                prop_id = prop.get("property", "")
                if PROPERTY_ID.match(prop_id):
                    name = f"{prop.get('displayName') or prop_id} ({account_name})"
                    found.append(Account(id=prop_id, name=name[:300]))
        token = answer.get("nextPageToken") or ""
        if not token:
            return found
    raise _too_many_pages()


def currency(session: ApiSession, source) -> str:
    """GA4 reports no money Pouls reads."""
    return ""
