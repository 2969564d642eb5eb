"""Requests to the platforms: to the configured hosts only, with timeouts, retries and one token refresh.

``ApiSession.request`` is the one way the providers call an API (docs/connectors.md, "Requests"):

- the URL must start with one of the base URLs in the settings (``POULS_*_URL``): a paging link a
  platform returns (Meta's ``paging.next``) is followed only if it stays there;
- 429 and 5xx answers, timeouts and dropped connections are tried again up to
  ``POULS_CONNECTOR_RETRIES`` times, waiting ``Retry-After`` when the platform says (at most
  ``MAX_WAIT`` seconds) or ``POULS_CONNECTOR_RETRY_BASE`` doubled at each attempt; past them,
  ``Transient`` (the Celery task retries later);
- a 401 gets one forced token refresh and one more attempt; a second 401 is ``GrantRefused``;
- 400, 403 and 404 are ``SourceRefused`` with the platform's own message, cut to 300 characters;
- an answer larger than ``MAX_RESPONSE_BYTES`` is refused (a page is bounded by its page size).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from connectors.errors import GrantRefused, SourceRefused, Transient

MAX_WAIT = 60.0
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
BASE_URL_SETTINGS = (
    "POULS_GOOGLE_TOKEN_URL",
    "POULS_GOOGLE_REVOKE_URL",
    "POULS_GA4_DATA_URL",
    "POULS_GA4_ADMIN_URL",
    "POULS_SEARCH_CONSOLE_URL",
    "POULS_GOOGLE_ADS_URL",
    "POULS_META_GRAPH_URL",
)


def allowed_url(url: str) -> bool:
    """Whether ``url`` lies under one of the configured platform base URLs (same scheme, host, port, path prefix)."""
    target = urlsplit(url)
    for name in BASE_URL_SETTINGS:
        base = urlsplit(getattr(settings, name))
        if (target.scheme, target.netloc) == (base.scheme, base.netloc) and target.path.startswith(
            base.path.rstrip("/")
        ):
            return True
    return False


def platform_message(response: httpx.Response) -> str:
    """The platform's own words for an error answer: Google's ``error.message``, Meta's ``error.message``,
    OAuth's ``error_description``, else the start of the body."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:300]
    if isinstance(body, list) and body:  # googleAds:searchStream answers errors as a one-element array
        body = body[0]
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])[:300]
        if body.get("error_description"):
            return str(body["error_description"])[:300]
        if isinstance(error, str):
            return error[:300]
    return json.dumps(body)[:300]


class ApiSession:
    """One sync's HTTP client. ``token`` returns the access token (``force=True``: refreshed now)."""

    def __init__(self, token: Callable[..., str], *, sleep: Callable[[float], None] = time.sleep):
        self._token = token
        self._sleep = sleep
        self.requests = 0  # made, retries included (the sync reports it)
        self._client = httpx.Client(timeout=settings.POULS_CONNECTOR_TIMEOUT_SECONDS, follow_redirects=False)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> ApiSession:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _wait(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("Retry-After") if response is not None else None
        if retry_after and retry_after.strip().isdigit():
            return min(float(retry_after), MAX_WAIT)
        return min(settings.POULS_CONNECTOR_RETRY_BASE * 2**attempt, MAX_WAIT)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict | None = None,
        json_body: dict | None = None,
        headers: dict | None = None,
        classify: Callable[[httpx.Response], str | None] | None = None,
    ) -> dict | list:
        """The JSON answer of one API call, after the retries and refresh the module docstring lists.

        ``classify`` reads a platform's own error codes where its status says less (Meta answers a rate
        limit or an expired token with a 400): "throttled" is handled as a 429, "unauthorized" as a 401."""
        if not allowed_url(url):
            raise SourceRefused(_("Refused to call %(url)s: not under a configured platform URL.") % {"url": url[:200]})
        refreshed = False  # a 401 got its one refresh
        force = False  # refresh before this attempt only (later retries reuse the new token)
        attempt = 0
        while True:
            self.requests += 1
            bearer = {"Authorization": f"Bearer {self._token(force=force)}"}
            force = False
            try:
                response = self._client.request(
                    method, url, params=params, json=json_body, headers={**(headers or {}), **bearer}
                )
            except httpx.TransportError as exc:
                response, failure = None, str(exc) or exc.__class__.__name__
            else:
                failure = ""
            verdict = classify(response) if classify is not None and response is not None else None
            if verdict == "unauthorized":
                response.status_code = 401
            elif verdict == "throttled":
                response.status_code = 429
            if response is not None and response.status_code == 401 and not refreshed:
                refreshed = force = True
                continue
            if response is not None and response.status_code == 401:
                raise GrantRefused(
                    _("The platform refused the access token: %(reason)s") % {"reason": platform_message(response)},
                    status=401,
                )
            if response is None or response.status_code == 429 or response.status_code >= 500:
                if attempt >= settings.POULS_CONNECTOR_RETRIES:
                    status = response.status_code if response is not None else None
                    reason = platform_message(response) if response is not None else failure
                    raise Transient(
                        _("The platform is unavailable (%(status)s): %(reason)s")
                        % {"status": status or _("no answer"), "reason": reason},
                        status=status,
                    )
                self._sleep(self._wait(attempt, response))
                attempt += 1
                continue
            if response.status_code >= 400:
                raise SourceRefused(
                    _("The platform refused the request (%(status)s): %(reason)s")
                    % {"status": response.status_code, "reason": platform_message(response)},
                    status=response.status_code,
                )
            if len(response.content) > MAX_RESPONSE_BYTES:
                raise SourceRefused(_("The platform's answer is larger than Pouls reads."))
            try:
                return response.json()
            except ValueError as exc:
                raise Transient(_("The platform's answer is not JSON.")) from exc
