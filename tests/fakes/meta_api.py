"""A fake Meta Graph API (Marketing API reads) on a ``FakeServer``: the ad accounts a grant reads and
their campaign insights, answered in Graph's formats.

Routes, under ``/v23.0/`` (tests set ``POULS_META_GRAPH_URL=<server.base_url>/v23.0``):

- ``GET /v23.0/act_<id>/insights``: ``level=campaign``, ``time_increment=1``, ``time_range`` (JSON
  ``{"since","until"}``), ``fields``, ``limit`` (default 25) and the ``after`` cursor; answers
  ``{"data": [...], "paging": {"cursors": {"before", "after"}, "next": <absolute URL>}}``, ``next``
  only while rows remain, numbers as strings as Graph sends them;
- ``GET /v23.0/act_<id>?fields=...``: the account's ``id``, ``account_id``, ``name``, ``currency``,
  ``account_status``;
- ``GET /v23.0/me/adaccounts``: every ad account, cursor-paged the same way.

The access token is read from the ``access_token`` query parameter or an ``Authorization: Bearer``
header, as Graph accepts both, and checked against the ``TokenBook``; a bad one is Graph's
``OAuthException`` code 190 with HTTP 400. Unknown accounts and bad parameters are Graph's code 100.
Meta's OAuth routes (``/v23.0/oauth/access_token``, ``/v23.0/me``, ``/v23.0/dialog/oauth``,
``/v23.0/me/permissions``) belong to the OAuth fake, installed on the same server.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import urlencode

from tests.fakes.base import Answer, Call, FakeServer, TokenBook

VERSION = "v23.0"
DEFAULT_LIMIT = 25
INSIGHTS_FIELDS = {"campaign_id", "campaign_name", "spend", "clicks", "impressions", "date_start", "date_stop"}
ACCOUNT_FIELDS = {"id", "account_id", "name", "currency", "account_status"}


def graph_error(message: str, *, code: int, type_: str = "OAuthException", subcode: int | None = None, **extra):
    """Graph's error body: ``{"error": {"message", "type", "code", "error_subcode", "fbtrace_id"}}``."""
    error = {"message": message, "type": type_, "code": code, "fbtrace_id": "A" + secrets.token_hex(10)}
    if subcode is not None:
        error["error_subcode"] = subcode
    error.update(extra)
    return {"error": error}


def _cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _offset(cursor: str) -> int:
    padded = cursor + "=" * (-len(cursor) % 4)
    text = base64.urlsafe_b64decode(padded.encode()).decode()
    if not text.startswith("offset:"):
        raise ValueError(cursor)
    return int(text.removeprefix("offset:"))


class FakeMetaGraph:
    """Ad accounts (``add_account``) and their campaigns' daily numbers (``set_day``, ``fill``), served
    by ``install(server)``; ``throttle`` makes the next insights requests answer a rate limit."""

    def __init__(self, tokens: TokenBook):
        self.tokens = tokens
        self.server: FakeServer | None = None
        # "act_123" -> {"name", "currency", "account_status"}
        self.accounts: dict[str, dict] = {}
        # "act_123" -> {(day, campaign_id): {"campaign_name", "spend", "clicks", "impressions"}}
        self.days: dict[str, dict[tuple[date, str], dict]] = {}
        self._lock = threading.Lock()

    # --- What the tests set -------------------------------------------------------------------

    def add_account(self, account_id: str, name: str, currency: str = "EUR", account_status: int = 1) -> str:
        account_id = account_id if account_id.startswith("act_") else f"act_{account_id}"
        with self._lock:
            self.accounts[account_id] = {"name": name, "currency": currency, "account_status": account_status}
            self.days.setdefault(account_id, {})
        return account_id

    def set_day(
        self,
        account_id: str,
        day: date,
        campaign_id: str,
        campaign_name: str,
        spend: Decimal | str,
        clicks: int,
        impressions: int,
    ) -> None:
        """One campaign's numbers of one day (set again: Meta restated them)."""
        with self._lock:
            self.days[account_id][(day, campaign_id)] = {
                "campaign_name": campaign_name,
                "spend": str(spend),
                "clicks": clicks,
                "impressions": impressions,
            }

    restate = set_day

    def fill(self, account_id: str, start: date, end: date, campaigns: dict[str, str]) -> None:
        """Every day from ``start`` to ``end`` for each campaign (id -> name), with numbers that differ by
        day and campaign (spend with cents; a zero-spend day every 7th of them)."""
        day = start
        while day <= end:
            for rank, (campaign_id, name) in enumerate(sorted(campaigns.items()), start=1):
                n = day.toordinal() + rank * 13
                spend = Decimal(0) if n % 7 == 0 else Decimal(n % 90 + rank) + Decimal(n % 100) / 100
                self.set_day(account_id, day, campaign_id, name, spend, n % 40 + rank, n % 900 + 100 * rank)
            day += timedelta(days=1)

    def spend_total(self, account_id: str, start: date, end: date) -> Decimal:
        with self._lock:
            return sum(
                (Decimal(v["spend"]) for (day, _), v in self.days[account_id].items() if start <= day <= end),
                Decimal(0),
            )

    def throttle(self, account_id: str, times: int = 1, *, http_429: bool = False) -> None:
        """The next ``times`` insights requests of the account answer a rate limit: Meta's own (HTTP 400,
        code 17 "User request limit reached", with its usage headers), or an HTTP 429."""
        assert self.server is not None, "install() first"
        digits = account_id.removeprefix("act_")
        usage = {
            "X-Business-Use-Case-Usage": json.dumps(
                {
                    digits: [
                        {
                            "type": "ads_insights",
                            "call_count": 100,
                            "total_cputime": 40,
                            "total_time": 60,
                            "estimated_time_to_regain_access": 1,
                        }
                    ]
                }
            ),
            "X-Ad-Account-Usage": json.dumps({"acc_id_util_pct": 100, "reset_time_duration": 60}),
        }
        if http_429:
            answer = Answer(429, graph_error("Too many requests", code=80004, subcode=2446079), usage)
        else:
            answer = Answer(
                400,
                graph_error(
                    "(#17) User request limit reached",
                    code=17,
                    subcode=2446079,
                    is_transient=True,
                    error_user_title="Ad Account Has Too Many API Calls",
                ),
                usage,
            )
        self.server.queue(f"/{VERSION}/{account_id}/insights", [answer] * times)

    # --- The routes ---------------------------------------------------------------------------

    def install(self, server: FakeServer) -> None:
        self.server = server
        server.route("GET", f"/{VERSION}/act_")(self._account_or_insights)
        server.route("GET", f"/{VERSION}/me/adaccounts")(self._adaccounts)

    def _token_refused(self, call: Call) -> Answer | None:
        token = (call.query.get("access_token") or [""])[0]
        if not token and call.headers.get("authorization", "").startswith("Bearer "):
            token = call.headers["authorization"].removeprefix("Bearer ")
        if token and self.tokens.valid(token):
            return None
        if not token:
            body = graph_error(
                "An active access token must be used to query information about the current user.", code=2500
            )
        elif token in self.tokens.expired:
            body = graph_error(
                "Error validating access token: Session has expired on Thursday, 03-Dec-26 10:00:00 PST.",
                code=190,
                subcode=463,
            )
        elif token in self.tokens.access:
            body = graph_error(
                "Error validating access token: The user has not authorized application 1234567890.",
                code=190,
                subcode=458,
            )
        else:
            body = graph_error("Invalid OAuth access token - Cannot parse access token", code=190)
        return Answer(
            400, body, {"WWW-Authenticate": f'OAuth "Facebook Platform" "invalid_token" "{body["error"]["message"]}"'}
        )

    def _account_or_insights(self, call: Call) -> Answer:
        refused = self._token_refused(call)
        if refused is not None:
            return refused
        parts = call.path.removeprefix(f"/{VERSION}/").strip("/").split("/")
        account_id = parts[0]
        if account_id not in self.accounts or len(parts) > 2 or (len(parts) == 2 and parts[1] != "insights"):
            return Answer(
                400,
                graph_error(
                    f"Unsupported get request. Object with ID '{account_id}' does not exist, cannot be loaded due "
                    "to missing permissions, or does not support this operation.",
                    code=100,
                    subcode=33,
                    type_="GraphMethodException",
                ),
            )
        if len(parts) == 2:
            return self._insights(call, account_id)
        fields = self._fields(call, ACCOUNT_FIELDS, default={"id"})
        if isinstance(fields, Answer):
            return fields
        return Answer(200, {k: v for k, v in self._account(account_id).items() if k in fields})

    def _account(self, account_id: str) -> dict:
        return {"id": account_id, "account_id": account_id.removeprefix("act_"), **self.accounts[account_id]}

    def _fields(self, call: Call, known: set[str], default: set[str]) -> set[str] | Answer:
        asked = [f for f in (call.query.get("fields") or [""])[0].split(",") if f]
        unknown = [f for f in asked if f not in known]
        if unknown:
            return Answer(400, graph_error(f"(#100) Tried accessing nonexisting field ({unknown[0]})", code=100))
        return set(asked) | {"id"} if asked else default

    def _insights(self, call: Call, account_id: str) -> Answer:
        query = {k: v[0] for k, v in call.query.items()}
        if query.get("level", "account") != "campaign":
            return Answer(400, graph_error("(#100) The fake answers level=campaign only", code=100))
        if query.get("time_increment") != "1":
            return Answer(400, graph_error("(#100) The fake answers time_increment=1 only", code=100))
        try:
            time_range = json.loads(query["time_range"])
            since, until = date.fromisoformat(time_range["since"]), date.fromisoformat(time_range["until"])
        except (KeyError, ValueError, TypeError):
            return Answer(400, graph_error("(#100) Param time_range must be a JSON {since, until}", code=100))
        if since > until:
            return Answer(400, graph_error("(#100) Param time_range: since must be on or before until", code=100))
        asked = [f for f in query.get("fields", "").split(",") if f]
        unknown = [f for f in asked if f not in INSIGHTS_FIELDS]
        if unknown:
            return Answer(
                400, graph_error(f"(#100) {unknown[0]} is not valid for fields param.", code=100, subcode=None)
            )
        with self._lock:
            found = sorted(
                ((day, campaign_id), values)
                for (day, campaign_id), values in self.days[account_id].items()
                if since <= day <= until
            )
        rows = []
        for (day, campaign_id), values in found:
            row = {
                "campaign_id": campaign_id,
                "campaign_name": values["campaign_name"],
                "spend": values["spend"],
                "clicks": str(values["clicks"]),
                "impressions": str(values["impressions"]),
            }
            rows.append(
                {k: v for k, v in row.items() if k in asked}
                | {"date_start": day.isoformat(), "date_stop": day.isoformat()}
            )
        return self._page(call, rows, query)

    def _adaccounts(self, call: Call) -> Answer:
        refused = self._token_refused(call)
        if refused is not None:
            return refused
        fields = self._fields(call, ACCOUNT_FIELDS, default={"id"})
        if isinstance(fields, Answer):
            return fields
        with self._lock:
            rows = [{k: v for k, v in self._account(a).items() if k in fields} for a in sorted(self.accounts)]
        return self._page(call, rows, {k: v[0] for k, v in call.query.items()})

    def _page(self, call: Call, rows: list[dict], query: dict[str, str]) -> Answer:
        """One cursor page of ``rows``, with ``paging.next`` (absolute, every parameter of the request
        kept, ``access_token`` too when it was one, as Graph does) while rows remain."""
        try:
            limit = int(query.get("limit", DEFAULT_LIMIT))
            offset = _offset(query["after"]) if "after" in query else 0
        except ValueError:
            return Answer(400, graph_error("(#100) Invalid cursor or limit", code=100))
        limit = max(1, min(limit, 5000))
        page = rows[offset : offset + limit]
        body: dict = {"data": page}
        if page:
            body["paging"] = {"cursors": {"before": _cursor(offset), "after": _cursor(offset + len(page))}}
            if offset + len(page) < len(rows):
                next_query = {k: v for k, v in query.items() if k not in {"after", "before"}}
                next_query["after"] = _cursor(offset + len(page))
                body["paging"]["next"] = f"{self.server.base_url}{call.path}?{urlencode(next_query)}"
        return Answer(200, body, {"X-Business-Use-Case-Usage": json.dumps({}), "X-Ad-Account-Usage": "{}"})
