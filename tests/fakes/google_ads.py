"""A fake Google Ads API (REST), the calls Pouls makes, in their documented formats:

- ``GET /v21/customers:listAccessibleCustomers`` -> {"resourceNames": ["customers/1234567890"]}
  (https://developers.google.com/google-ads/api/rest/reference/rest/v21/customers/listAccessibleCustomers);
- ``POST /v21/customers/{id}/googleAds:searchStream`` with {"query": GAQL} -> a JSON array of batches, each
  {"results": [GoogleAdsRow], "fieldMask", "requestId"}, rows in camelCase with int64 values as strings
  (https://developers.google.com/google-ads/api/rest/common/search);
- headers: ``developer-token`` always; ``login-customer-id`` the manager a client is reached through, else
  the customer must be directly accessible to the user
  (https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid);
- errors (https://developers.google.com/google-ads/api/docs/best-practices/error-types):
  {"error": {"code", "message", "status", "details": [{"@type": ...GoogleAdsFailure, "errors":
  [{"errorCode": {...}, "message"}], "requestId"}]}}, wrapped in a one-element array by searchStream.

Only the GAQL Pouls sends is understood: FROM campaign (segments.date BETWEEN), customer and
customer_client; the rows are cut down to the selected fields, as the API answers."""

from __future__ import annotations

import re
import secrets
import threading
from dataclasses import dataclass, field
from datetime import date

from tests.fakes.base import Answer, Call, FakeServer, TokenBook

FAILURE_TYPE = "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure"
SELECT = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
BETWEEN = re.compile(r"segments\.date\s+BETWEEN\s+'(\d{4}-\d{2}-\d{2})'\s+AND\s+'(\d{4}-\d{2}-\d{2})'", re.IGNORECASE)


STATUS_MESSAGES = {
    "UNAUTHENTICATED": "Request is missing required authentication credential.",
    "PERMISSION_DENIED": "The caller does not have permission",
    "RESOURCE_EXHAUSTED": "Resource has been exhausted (e.g. check quota).",
    "NOT_FOUND": "Requested entity was not found.",
}


def ads_error(code: int, status: str, error_code: dict, message: str, *, stream: bool = False) -> Answer:
    error = {
        "error": {
            "code": code,
            "message": STATUS_MESSAGES.get(status, "Request contains an invalid argument."),
            "status": status,
            "details": [
                {
                    "@type": FAILURE_TYPE,
                    "errors": [{"errorCode": error_code, "message": message}],
                    "requestId": secrets.token_hex(8),
                }
            ],
        }
    }
    return Answer(code, [error] if stream else error)


def quota_exhausted(*, stream: bool = True) -> Answer:
    """A 429 as the API answers a rate limit, to queue on the fake server."""
    return ads_error(
        429,
        "RESOURCE_EXHAUSTED",
        {"quotaError": "RESOURCE_TEMPORARILY_EXHAUSTED"},
        "Too many requests. Retry in 1 seconds.",
        stream=stream,
    )


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def _pruned(row: dict, fields: list[str]) -> dict:
    """The row with only the selected fields (and each object's resourceName), as the API answers."""
    out: dict = {}
    for path in fields:
        resource, _, name = path.strip().partition(".")
        source = row.get(_camel(resource)) or {}
        if _camel(name) in source:
            target = out.setdefault(_camel(resource), {})
            target[_camel(name)] = source[_camel(name)]
            if "resourceName" in source:
                target["resourceName"] = source["resourceName"]
    return out


@dataclass
class Customer:
    name: str
    currency: str = "EUR"
    manager: bool = False
    parent: str = ""  # the manager it is linked under


@dataclass
class FakeGoogleAds:
    tokens: TokenBook
    developer_token: str = "fake-developer-token"
    prefix: str = "/v21"
    batch_size: int = 10_000  # rows per streamed batch (the API's)
    customers: dict[str, Customer] = field(default_factory=dict)
    accessible: set[str] = field(default_factory=set)  # reached directly by the user of the tokens
    # (customer, day, campaign id) -> (cost micros, clicks, impressions)
    spend: dict[tuple[str, date, str], tuple[int, int, int]] = field(default_factory=dict)
    # (customer, campaign id) -> (name, final URL suffix)
    campaigns: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_customer(
        self, customer_id: str, name: str, *, currency="EUR", manager=False, parent="", accessible=False
    ) -> None:
        self.customers[customer_id] = Customer(name, currency, manager, parent)
        if accessible:
            self.accessible.add(customer_id)

    def set_spend(
        self,
        customer: str,
        day: date,
        campaign_id: str,
        name: str,
        cost_micros: int,
        clicks: int = 0,
        impressions: int = 0,
        final_url_suffix: str = "",
    ) -> None:
        """One day of one campaign; no impressions and no cost removes the row (the API has none then)."""
        with self._lock:
            self.campaigns[(customer, campaign_id)] = (name, final_url_suffix)
            if cost_micros or impressions:
                self.spend[(customer, day, campaign_id)] = (cost_micros, clicks, impressions)
            else:
                self.spend.pop((customer, day, campaign_id), None)

    def install(self, server: FakeServer) -> None:
        server.route("GET", f"{self.prefix}/customers:listAccessibleCustomers")(self.list_accessible)
        server.route("POST", f"{self.prefix}/customers/")(self.search_stream)

    def _refused(self, call: Call, *, stream: bool) -> Answer | None:
        if not self.tokens.bearer_valid(call):
            return ads_error(
                401,
                "UNAUTHENTICATED",
                {"authenticationError": "OAUTH_TOKEN_INVALID"},
                "Oauth token is invalid.",
                stream=stream,
            )
        if call.headers.get("developer-token") != self.developer_token:
            return ads_error(
                401,
                "UNAUTHENTICATED",
                {"authenticationError": "DEVELOPER_TOKEN_INVALID"},
                "The developer token is not valid.",
                stream=stream,
            )
        return None

    def reachable(self, customer: str, login: str) -> bool:
        """Whether the user reaches ``customer`` logged in through ``login`` (itself when no header)."""
        if login not in self.accessible or customer not in self.customers:
            return False
        while customer and customer != login:
            customer = self.customers[customer].parent if customer in self.customers else ""
        return customer == login

    def list_accessible(self, call: Call) -> Answer:
        if (refused := self._refused(call, stream=False)) is not None:
            return refused
        return Answer(200, {"resourceNames": [f"customers/{c}" for c in sorted(self.accessible)]})

    def search_stream(self, call: Call) -> Answer:
        if (refused := self._refused(call, stream=True)) is not None:
            return refused
        customer, _, method = call.path.removeprefix(f"{self.prefix}/customers/").partition("/")
        if method != "googleAds:searchStream":
            return ads_error(404, "NOT_FOUND", {"requestError": "UNKNOWN"}, "Not found.", stream=True)
        login = call.headers.get("login-customer-id", customer)
        if not self.reachable(customer, login):
            return ads_error(
                403,
                "PERMISSION_DENIED",
                {"authorizationError": "USER_PERMISSION_DENIED"},
                "User doesn't have permission to access customer. Note: If you're accessing a client customer, the "
                "manager's customer id must be set in the 'login-customer-id' header. See "
                "https://developers.google.com/google-ads/api/docs/concepts/call-structure#cid",
                stream=True,
            )
        query = (call.json() or {}).get("query", "")
        match = SELECT.match(query)
        if not match:
            return ads_error(
                400, "INVALID_ARGUMENT", {"queryError": "UNEXPECTED_END_OF_QUERY"}, "Bad GAQL.", stream=True
            )
        fields = [f.strip() for f in match["fields"].split(",")]
        resource = match["resource"].lower()
        if resource == "campaign":
            rows = self._campaign_rows(customer, match["rest"])
            if rows is None:
                return ads_error(
                    400,
                    "INVALID_ARGUMENT",
                    {"queryError": "EXPECTED_FILTERS_ON_DATE_RANGE"},
                    "Date segments need a finite date range.",
                    stream=True,
                )
        elif resource == "customer":
            rows = [self._customer_row(customer)]
        elif resource == "customer_client":
            rows = self._client_rows(customer)
        else:
            return ads_error(
                400, "INVALID_ARGUMENT", {"queryError": "INVALID_RESOURCE"}, "Unknown resource.", stream=True
            )
        results = [_pruned(row, fields) for row in rows]
        mask = ",".join(_camel(f).replace("_", "") for f in fields)
        batches = [
            {"results": results[i : i + self.batch_size], "fieldMask": mask, "requestId": secrets.token_hex(8)}
            for i in range(0, len(results), self.batch_size)
        ] or [{"fieldMask": mask, "requestId": secrets.token_hex(8)}]
        batches[-1]["queryResourceConsumption"] = str(len(results))
        return Answer(200, batches)

    def _campaign_rows(self, customer: str, rest: str) -> list[dict] | None:
        period = BETWEEN.search(rest)
        if not period:
            return None
        start, end = date.fromisoformat(period[1]), date.fromisoformat(period[2])
        rows = []
        with self._lock:
            for (c, day, campaign_id), (micros, clicks, impressions) in sorted(self.spend.items()):
                if c != customer or not start <= day <= end:
                    continue
                name, suffix = self.campaigns[(c, campaign_id)]
                campaign = {"resourceName": f"customers/{c}/campaigns/{campaign_id}", "id": campaign_id, "name": name}
                if suffix:
                    campaign["finalUrlSuffix"] = suffix
                rows.append(
                    {
                        "campaign": campaign,
                        "metrics": {"costMicros": str(micros), "clicks": str(clicks), "impressions": str(impressions)},
                        "segments": {"date": day.isoformat()},
                    }
                )
        return rows

    def _customer_row(self, customer: str) -> dict:
        info = self.customers[customer]
        return {
            "customer": {
                "resourceName": f"customers/{customer}",
                "id": customer,
                "descriptiveName": info.name,
                "currencyCode": info.currency,
                "manager": info.manager,
            }
        }

    def _client_rows(self, manager: str) -> list[dict]:
        levels = [(manager, 0)] + [(c, 1) for c, info in sorted(self.customers.items()) if info.parent == manager]
        return [
            {
                "customerClient": {
                    "resourceName": f"customers/{manager}/customerClients/{c}",
                    "id": c,
                    "descriptiveName": self.customers[c].name,
                    "currencyCode": self.customers[c].currency,
                    "manager": self.customers[c].manager,
                    "level": str(level),
                }
            }
            for c, level in levels
        ]
