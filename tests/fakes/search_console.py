"""A fake Google Search Console: ``sites.list`` and ``searchanalytics.query`` in their documented formats:

- https://developers.google.com/webmaster-tools/v1/sites/list (``siteEntry[]`` of siteUrl and
  permissionLevel, the key left out when there is no site);
- https://developers.google.com/webmaster-tools/v1/searchanalytics/query (request: startDate, endDate,
  dimensions, type, dataState "final" by default or "all" with the fresh days, rowLimit 1-25,000 default
  1,000, startRow; answer: rows[] of keys, clicks, impressions, ctr and position as JSON numbers, sorted
  by clicks, ``rows`` left out when empty; the site in the path, URL-encoded);
- errors as https://developers.google.com/webmaster-tools/v1/errors: {"error": {"code", "message",
  "errors": [{"domain", "reason", "message"}]}}.

Tests fill ``stats`` with ``set_query`` and ``sites`` with ``add_site``; ``fresh`` holds the days only
``dataState: "all"`` returns (not final yet)."""

from __future__ import annotations

import threading
from datetime import date
from urllib.parse import unquote

from tests.fakes.base import Answer, Call, FakeServer, TokenBook

PREFIX = "/webmasters/v3/sites"
DIMENSIONS = {"date", "query", "page", "country", "device"}
MAX_ROWS = 25_000


def gsc_error(code: int, reason: str, message: str) -> Answer:
    status = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED"}.get(code, "UNKNOWN")
    return Answer(
        code,
        {
            "error": {
                "code": code,
                "message": message,
                "errors": [{"message": message, "domain": "global", "reason": reason}],
                "status": status,
            }
        },
    )


class FakeSearchConsole:
    def __init__(self, tokens: TokenBook):
        self.tokens = tokens
        self.sites: dict[str, str] = {}  # siteUrl -> permissionLevel
        # (site, day, query) -> (clicks, impressions)
        self.stats: dict[tuple[str, date, str], tuple[int, int]] = {}
        self.fresh: set[date] = set()
        self._lock = threading.Lock()

    def add_site(self, site: str, permission: str = "siteOwner") -> None:
        self.sites[site] = permission

    def set_query(self, site: str, day: date, query: str, clicks: int, impressions: int) -> None:
        """One row; 0 impressions removes it."""
        with self._lock:
            if impressions:
                self.stats[(site, day, query)] = (clicks, impressions)
            else:
                self.stats.pop((site, day, query), None)

    def install(self, server: FakeServer) -> None:
        server.route("GET", PREFIX)(self.list_sites)
        server.route("POST", PREFIX + "/")(self.query)

    def _unauthenticated(self) -> Answer:
        return gsc_error(401, "authError", "Request had invalid authentication credentials.")

    def list_sites(self, call: Call) -> Answer:
        if not self.tokens.bearer_valid(call):
            return self._unauthenticated()
        if call.path.rstrip("/") != PREFIX:
            return gsc_error(404, "notFound", "Not found.")
        entries = [{"siteUrl": site, "permissionLevel": level} for site, level in sorted(self.sites.items())]
        return Answer(200, {"siteEntry": entries} if entries else {})

    def query(self, call: Call) -> Answer:
        if not self.tokens.bearer_valid(call):
            return self._unauthenticated()
        encoded, _, method = call.path.removeprefix(PREFIX + "/").partition("/")
        if method != "searchAnalytics/query":
            return gsc_error(404, "notFound", "Not found.")
        site = unquote(encoded)
        if self.sites.get(site) in (None, "siteUnverifiedUser"):
            return gsc_error(
                403,
                "forbidden",
                f"User does not have sufficient permission for site '{site}'. "
                "See also: https://support.google.com/webmasters/answer/2451999.",
            )
        body = call.json() or {}
        try:
            start, end = date.fromisoformat(body["startDate"]), date.fromisoformat(body["endDate"])
            names = list(body.get("dimensions") or [])
            limit = int(body.get("rowLimit", 1000))
            start_row = int(body.get("startRow", 0))
            data_state = body.get("dataState", "final")
        except (KeyError, TypeError, ValueError):
            return gsc_error(400, "invalidParameter", "Invalid searchAnalytics.query request.")
        if (
            start > end
            or not set(names) <= {"date", "query"}
            or not 0 < limit <= MAX_ROWS
            or start_row < 0
            or data_state not in ("final", "all")
            or body.get("type", "web") != "web"
        ):
            return gsc_error(400, "invalidParameter", "Invalid searchAnalytics.query request.")
        totals: dict[tuple[str, ...], list[int]] = {}
        with self._lock:
            for (s, day, query), (clicks, impressions) in self.stats.items():
                if s != site or not start <= day <= end or (day in self.fresh and data_state == "final"):
                    continue
                values = {"date": day.isoformat(), "query": query}
                total = totals.setdefault(tuple(values[n] for n in names), [0, 0])
                total[0] += clicks
                total[1] += impressions
        table = sorted(totals.items(), key=lambda item: (-item[1][0], item[0]))  # by clicks
        page = table[start_row : start_row + limit]
        answer: dict = {"responseAggregationType": "byProperty"}
        if page:
            answer["rows"] = [
                {
                    "keys": list(keys),
                    "clicks": float(clicks),
                    "impressions": float(impressions),
                    "ctr": clicks / impressions,
                    "position": 4.2,
                }
                for keys, (clicks, impressions) in page
            ]
        return Answer(200, answer)
