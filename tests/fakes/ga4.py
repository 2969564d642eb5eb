"""A fake Google Analytics 4: the Data API's ``runReport`` and the Admin API's ``accountSummaries.list``, in
their documented formats:

- https://developers.google.com/analytics/devguides/reporting/data/v1/rest/v1beta/properties/runReport
  (request: dateRanges, dimensions, metrics, orderBys, limit/offset as int64 strings, keepEmptyRows;
  answer: dimensionHeaders, metricHeaders, rows[].dimensionValues[].value / metricValues[].value,
  rowCount the total rows whatever the page, both left out of an empty report; date as YYYYMMDD);
- https://developers.google.com/analytics/devguides/config/admin/v1/rest/v1beta/accountSummaries/list
  (pageSize at most 200, pageToken / nextPageToken);
- errors as https://cloud.google.com/apis/design/errors: {"error": {"code", "message", "status"}}.

Tests fill ``sessions`` with ``set_sessions`` and ``properties`` with ``add_property``; the same tokens
as the fake authorization server (``TokenBook``) are accepted."""

from __future__ import annotations

import threading
from datetime import date

from tests.fakes.base import Answer, Call, FakeServer, TokenBook

DIMENSIONS = {"date", "sessionDefaultChannelGroup", "landingPage"}
MAX_LIMIT = 250_000
DEFAULT_LIMIT = 10_000


def google_error(code: int, status: str, message: str) -> Answer:
    return Answer(code, {"error": {"code": code, "message": message, "status": status}})


def unauthenticated() -> Answer:
    return google_error(
        401,
        "UNAUTHENTICATED",
        "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other "
        "valid authentication credential.",
    )


class FakeGa4:
    def __init__(self, tokens: TokenBook):
        self.tokens = tokens
        # (property, day, channel group, landing page) -> sessions
        self.sessions: dict[tuple[str, date, str, str], int] = {}
        # property -> (account, account display name, property display name)
        self.properties: dict[str, tuple[str, str, str]] = {}
        self._lock = threading.Lock()

    def add_property(self, prop: str, name: str, account: str = "accounts/1", account_name: str = "Agence") -> None:
        self.properties[prop] = (account, account_name, name)

    def set_sessions(self, prop: str, day: date, channel_group: str, landing_page: str, sessions: int) -> None:
        """Sessions of one row; 0 removes the row (the report leaves out empty rows)."""
        with self._lock:
            key = (prop, day, channel_group, landing_page)
            if sessions:
                self.sessions[key] = sessions
            else:
                self.sessions.pop(key, None)

    def install(self, server: FakeServer) -> None:
        server.route("POST", "/v1beta/properties/")(self.run_report)
        server.route("GET", "/v1beta/accountSummaries")(self.account_summaries)

    def run_report(self, call: Call) -> Answer:
        if not self.tokens.bearer_valid(call):
            return unauthenticated()
        prop, _, method = call.path.removeprefix("/v1beta/").partition(":")
        if method != "runReport":
            return google_error(404, "NOT_FOUND", f"Method not found: {call.path}")
        if prop not in self.properties:
            return google_error(
                403, "PERMISSION_DENIED", f"User does not have sufficient permissions for this property ({prop})."
            )
        body = call.json() or {}
        try:
            (period,) = body["dateRanges"]
            start, end = date.fromisoformat(period["startDate"]), date.fromisoformat(period["endDate"])
            names = [d["name"] for d in body["dimensions"]]
            metrics = [m["name"] for m in body["metrics"]]
            limit = int(body.get("limit", DEFAULT_LIMIT))
            offset = int(body.get("offset", 0))
        except (KeyError, TypeError, ValueError):
            return google_error(400, "INVALID_ARGUMENT", "Invalid runReport request.")
        if start > end or not set(names) <= DIMENSIONS or metrics != ["sessions"]:
            return google_error(400, "INVALID_ARGUMENT", "Unsupported dimensions, metrics or date range.")
        if not 0 < limit <= MAX_LIMIT or offset < 0:
            return google_error(400, "INVALID_ARGUMENT", f"limit must be positive and at most {MAX_LIMIT}.")
        totals: dict[tuple[str, ...], int] = {}
        with self._lock:
            for (p, day, group, landing), sessions in self.sessions.items():
                if p == prop and start <= day <= end:
                    values = {
                        "date": day.strftime("%Y%m%d"),
                        "sessionDefaultChannelGroup": group,
                        "landingPage": landing,
                    }
                    key = tuple(values[n] for n in names)
                    totals[key] = totals.get(key, 0) + sessions
        table = sorted(totals.items(), key=lambda item: (-item[1], item[0]))  # GA4's default: by the metric
        for order in reversed(body.get("orderBys") or []):
            name = (order.get("dimension") or {}).get("dimensionName")
            if name not in names:
                return google_error(400, "INVALID_ARGUMENT", f"orderBys names an unrequested dimension: {name}")
            index = names.index(name)
            table.sort(key=lambda item, i=index: item[0][i], reverse=bool(order.get("desc")))
        answer: dict = {
            "dimensionHeaders": [{"name": n} for n in names],
            "metricHeaders": [{"name": "sessions", "type": "TYPE_INTEGER"}],
            "metadata": {"currencyCode": "EUR", "timeZone": "Europe/Paris"},
            "kind": "analyticsData#runReport",
        }
        page = table[offset : offset + limit]
        if page:
            answer["rows"] = [
                {"dimensionValues": [{"value": v} for v in key], "metricValues": [{"value": str(sessions)}]}
                for key, sessions in page
            ]
        if table:
            answer["rowCount"] = len(table)
        return Answer(200, answer)

    def account_summaries(self, call: Call) -> Answer:
        if not self.tokens.bearer_valid(call):
            return unauthenticated()
        size = min(int((call.query.get("pageSize") or ["50"])[0]), 200)
        token = (call.query.get("pageToken") or [""])[0]
        if token and not token.startswith("page-"):
            return google_error(400, "INVALID_ARGUMENT", "Invalid page token.")
        start = int(token.removeprefix("page-") or 0)
        accounts: dict[str, dict] = {}
        for prop, (account, account_name, name) in sorted(self.properties.items()):
            summary = accounts.setdefault(
                account,
                {
                    "name": f"accountSummaries/{account.removeprefix('accounts/')}",
                    "account": account,
                    "displayName": account_name,
                    "propertySummaries": [],
                },
            )
            summary["propertySummaries"].append(
                {"property": prop, "displayName": name, "propertyType": "PROPERTY_TYPE_ORDINARY", "parent": account}
            )
        listed = list(accounts.values())
        answer: dict = {"accountSummaries": listed[start : start + size]}
        if start + size < len(listed):
            answer["nextPageToken"] = f"page-{start + size}"
        return Answer(200, answer)
