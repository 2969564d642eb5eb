"""The public tracking endpoint: ``POST /c/<slug>/track/``, fed by ``static/pouls/pouls.js``.

The body is a JSON batch (sent as ``text/plain`` by ``navigator.sendBeacon``, so no preflight)::

    {"events": [{"id": "<uuid>", "type": "visit" | "cta_view" | "cta_click", "at": "<ISO 8601>",
                 "session": "<browser session id>", "url": "https://…/page", "referrer": "https://…",
                 "utm": {"source": …, "medium": …, "campaign": …, "term": …, "content": …},
                 "cta": "<CTA key>"}]}

The request does as little as it can: it validates the whole batch (one bad event refuses the batch
with a 400 listing the errors, since the only sender is our own snippet), derives each visit's channel
(GA4 rules: UTMs, else the referrer), and stores the batch with ONE statement, which also counts the
sender's rate window. Duplicate event ids, and a second visit of one session to one page, are skipped
by the table's unique indexes (``ON CONFLICT DO NOTHING``). ``campaigns.tracking_rollup`` turns the
raw events into daily facts later, each visit on the landing page its URL belongs to
(``campaigns.landing_pages``: the capture endpoint's rule too).

CORS: any origin may post, without credentials. Tracking is fire-and-forget: the answer carries no
data, a beacon never reads it, and a ``text/plain`` POST is a "simple" request that browsers send
whatever the server says, so a per-client origin list would only add set-up work (and a query per
request) while stopping nobody: any script can forge an Origin header. django-cors-headers writes
the headers (the ``CORS_*`` settings); the view answers the preflight itself (``config.cors``).

Rate limit: the sender's address (``config.client_address.client_ip``, keyed hash) may send
``POULS_TRACKING_EVENTS_PER_MINUTE`` events a minute (default 6,000: a busy office behind one NAT),
counted in the rate windows it shares with the capture endpoint (``campaigns.rate_windows``) under
the key ``@tracking``, which no form key can take. There is no ceiling for all visitors together: a
traffic spike is data.
"""

from __future__ import annotations

import functools
import json
import re
import uuid
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from campaigns.attribution import channel_from_referrer, channel_from_utm
from campaigns.landing_pages import page_path
from campaigns.models import RateWindow, TrackingEvent
from campaigns.rate_windows import purge_now_and_then, seconds_to_next_window, visitor_key, window_start
from campaigns.rules import key_normalised
from config.client_address import client_ip
from config.dates import date_refusal
from config.errors import DomainError
from tenants.middleware import client_public_endpoint

MAX_EVENTS = 100
MAX_BODY_BYTES = 64 * 1024  # the browsers' budget for in-flight beacons / keepalive requests
MAX_ERRORS = 20  # listed in a 400; a broken batch does not need more
CLOCK_TOLERANCE = timedelta(days=1)  # an event's own time is clamped to the server's, plus or minus this
RATE_KEY = "@tracking"  # not a slug, so never a capture form's key
MAX_URL = 2000
MAX_UTM = 200
MAX_SESSION = 128
EVENT_TYPES = frozenset(TrackingEvent.Type.values)
CTA_TYPES = frozenset({TrackingEvent.Type.CTA_VIEW, TrackingEvent.Type.CTA_CLICK})
EVENT_FIELDS = frozenset({"id", "type", "at", "session", "url", "referrer", "utm", "cta"})
UTM_FIELDS = ("source", "medium", "campaign", "term", "content")
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]+\Z")  # the snippet's is a UUID


class Refused(Exception):
    """The batch is not stored: answered with ``status`` and ``{"errors": errors}``."""

    def __init__(self, status: int, errors: dict[str, list[str]], retry_after: int | None = None):
        super().__init__(status)
        self.status, self.errors, self.retry_after = status, errors, retry_after


# Django's keyed hash (HMAC-SHA256 under a key derived from this salt and SECRET_KEY), cut to the
# column's 32 hex digits (128 bits). It replaced a keyed BLAKE2b whose values it does not reproduce:
# stored events keep theirs, which only matters for a session that was browsing during that deploy
# (a page it saw on both sides of it counts as two visits that day), so no old value is verified.
SESSION_SALT = "pouls.tracking.session"


def session_hash(session: str, schema: str) -> str:
    """A keyed hash of the browser's session id, different in every client account."""
    return salted_hmac(SESSION_SALT, f"{schema}\0{session}", algorithm="sha256").hexdigest()[:32]


def events_per_minute() -> int:
    return settings.POULS_TRACKING_EVENTS_PER_MINUTE


# --- Reading the batch ---------------------------------------------------------------------------


def _body(request) -> bytes:
    if request.content_type not in {"application/json", "text/plain", ""}:
        raise Refused(415, {"body": [_("Send the events as JSON (application/json or text/plain).")]})
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > MAX_BODY_BYTES:
        raise Refused(413, {"body": [_("The batch is too large (at most %(size)s bytes).") % {"size": MAX_BODY_BYTES}]})
    return request.body  # at most CONTENT_LENGTH bytes (none without it)


def _batch(raw: bytes) -> list:
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise Refused(400, {"body": [_("The body is not valid JSON.")]}) from None
    if not isinstance(data, dict) or not isinstance(data.get("events"), list):
        raise Refused(400, {"events": [_("Send an object with a list of events.")]})
    events = data["events"]
    if not 1 <= len(events) <= MAX_EVENTS:
        raise Refused(400, {"events": [_("Send between 1 and %(max)s events.") % {"max": MAX_EVENTS}]})
    return events


def _text(event: dict, name: str, max_length: int, *, required: bool) -> str:
    value = event.get(name)
    if value is None or value == "":
        if required:
            raise ValueError(_("This field is required."))
        return ""
    if not isinstance(value, str):
        raise ValueError(_("Enter a text value."))
    if len(value) > max_length:
        raise ValueError(_("At most %(max)s characters.") % {"max": max_length})
    return value


def _event_id(event: dict) -> uuid.UUID:
    value = _text(event, "id", 45, required=True)
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValueError(_("Enter a UUID.")) from None


def _occurred_at(event: dict, now: datetime) -> datetime:
    value = _text(event, "at", 40, required=False)
    if not value:
        return now
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(_("Enter an ISO 8601 date and time.")) from None
    if at.tzinfo is None:
        raise ValueError(_("Give the time zone (for instance a final Z)."))
    if (refusal := date_refusal(at)) is not None:  # no browser clock is that wrong: a forged event
        raise ValueError(refusal)
    return min(max(at, now - CLOCK_TOLERANCE), now + CLOCK_TOLERANCE)


def _page(event: dict) -> tuple[str, str]:
    """(path, host) of the event's page, an absolute http(s) URL."""
    url = _text(event, "url", MAX_URL, required=True)
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
    except ValueError:
        host, parts = "", None
    if parts is None or parts.scheme not in {"http", "https"} or not host:
        raise ValueError(_("Enter an absolute http(s) URL."))
    return page_path(url) or "/", host  # an absolute http(s) URL has a path


def _utm(event: dict) -> dict[str, str]:
    utm = event.get("utm")
    if utm is None:
        return {}
    if not isinstance(utm, dict):
        raise ValueError(_("Send the UTM parameters as an object."))
    unknown = set(utm) - set(UTM_FIELDS)
    if unknown:
        raise ValueError(_("Unknown UTM parameter: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    for value in utm.values():
        if value is not None and (not isinstance(value, str) or len(value) > MAX_UTM):
            raise ValueError(_("UTM values are texts of at most %(max)s characters.") % {"max": MAX_UTM})
    return utm


def _cta(event: dict, kind: str) -> str:
    if kind not in CTA_TYPES:
        if event.get("cta") not in (None, ""):
            raise ValueError(_("Only CTA events name a CTA."))
        return ""
    value = _text(event, "cta", 100, required=True)
    try:  # the rollup creates unknown CTAs under this key: the one key rule of the API and imports
        return key_normalised(value, field="cta")
    except DomainError as refusal:
        raise ValueError(refusal.message) from None


def _channel(utm: dict[str, str], referrer: str, host: str) -> str:
    """GA4's default channel: from the UTM parameters when there are any, else from the referrer."""
    if utm.get("source") or utm.get("medium") or utm.get("campaign"):
        return channel_from_utm(source=utm.get("source"), medium=utm.get("medium"), campaign=utm.get("campaign"))
    return channel_from_referrer(referrer, own_host=host)


class _FieldError(Exception):
    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field, self.message = field, message


def _checked(field: str, check, *args):
    try:
        return check(*args)
    except ValueError as error:
        raise _FieldError(field, str(error)) from None


def _kind(event: dict) -> str:
    kind = event.get("type")
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise ValueError(_("Use one of: %(types)s.") % {"types": ", ".join(sorted(EVENT_TYPES))})
    return kind


def _session(event: dict) -> str:
    session = _text(event, "session", MAX_SESSION, required=True)
    if not SESSION_ID.match(session):
        raise ValueError(_("Use letters, digits, '_' and '-'."))
    return session


def _referrer(event: dict) -> str:
    return _text(event, "referrer", MAX_URL, required=False)


def _row(event, *, now: datetime, schema: str) -> tuple:
    """One valid event as a row: (event_id, type, occurred_at, session, path, channel_key, cta_key).
    Raises _FieldError for its first invalid field."""
    if not isinstance(event, dict):
        raise _FieldError("", _("Each event is an object."))
    unknown = set(event) - EVENT_FIELDS
    if unknown:
        raise _FieldError("", _("Unknown field: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    event_id = _checked("id", _event_id, event)
    kind = _checked("type", _kind, event)
    at = _checked("at", _occurred_at, event, now)
    session = _checked("session", _session, event)
    path, host = _checked("url", _page, event)
    referrer = _checked("referrer", _referrer, event)
    utm = _checked("utm", _utm, event)
    cta = _checked("cta", _cta, event, kind)
    channel = _channel(utm, referrer, host) if kind == TrackingEvent.Type.VISIT else ""
    return event_id, kind, at, session_hash(session, schema), path, channel, cta


def _rows(events: list, *, now: datetime, schema: str) -> list[tuple]:
    rows, errors = [], {}
    for index, event in enumerate(events):
        try:
            rows.append(_row(event, now=now, schema=schema))
        except _FieldError as error:
            name = f"events.{index}.{error.field}" if error.field else f"events.{index}"
            errors[name] = [error.message]
            if len(errors) >= MAX_ERRORS:
                break
    if errors:
        raise Refused(400, errors)
    return rows


# --- Storing it ----------------------------------------------------------------------------------


@functools.cache
def _store_sql() -> str:
    quote = connection.ops.quote_name
    rate = RateWindow._meta
    table = quote(rate.db_table)
    form_key, visitor, start, count = (
        quote(rate.get_field(name).column) for name in ("form_key", "visitor", "window_start", "count")
    )
    event = TrackingEvent._meta
    columns = ", ".join(
        quote(event.get_field(name).column)
        for name in ("event_id", "type", "occurred_at", "session", "path", "channel_key", "cta_key", "processed")
    )
    # One statement, one round trip: count the batch in the sender's rate window; then, within the
    # limit, insert every event at once from arrays. Without a conflict target, DO NOTHING skips a
    # known event id and a session's second visit to a page alike.
    return f"""
        WITH hit AS (
            INSERT INTO {table} ({form_key}, {visitor}, {start}, {count}) VALUES (%s, %s, %s, %s)
            ON CONFLICT ({form_key}, {visitor}, {start}) DO UPDATE SET {count} = {table}.{count} + EXCLUDED.{count}
            RETURNING {count}
        ), stored AS (
            INSERT INTO {quote(event.db_table)} ({columns})
            SELECT e.*, false
            FROM unnest(%s::uuid[], %s::text[], %s::timestamptz[], %s::text[], %s::text[], %s::text[], %s::text[]) AS e
            WHERE (SELECT {count} FROM hit) <= %s
            ON CONFLICT DO NOTHING
            RETURNING 1
        )
        SELECT (SELECT {count} FROM hit), (SELECT count(*) FROM stored)
    """  # noqa: S608 (identifiers come from the models, values are parameters)


def events_store(rows: list[tuple], *, ip: str, now: datetime) -> tuple[bool, int]:
    """Count ``rows`` against the sender's rate window and, within the limit, store them.
    Returns (allowed, how many were new). Runs in the current client's schema."""
    limit = events_per_minute()
    columns = [list(column) for column in zip(*rows, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(_store_sql(), [RATE_KEY, visitor_key(ip), window_start(now), len(rows), *columns, limit])
        counted, stored = cursor.fetchone()
    purge_now_and_then(now=now)
    return counted <= limit, stored


# --- The view ------------------------------------------------------------------------------------


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    return response


def _preflight() -> HttpResponse:
    # The Access-Control-* headers come from django-cors-headers (CORS_* settings).
    response = HttpResponse(status=204)
    response["Allow"] = "POST, OPTIONS"
    return _no_store(response)


def _track(request) -> HttpResponse:
    now = timezone.now()
    rows = _rows(_batch(_body(request)), now=now, schema=connection.schema_name)
    allowed, _stored = events_store(rows, ip=client_ip(request), now=now)
    if not allowed:
        raise Refused(
            429, {"events": [_("Too many events. Please try again in a minute.")]}, seconds_to_next_window(now)
        )
    return HttpResponse(status=204)


@client_public_endpoint
@csrf_exempt
def track(request) -> HttpResponse:
    if request.method == "OPTIONS":
        return _preflight()
    if request.method != "POST":
        response = JsonResponse({"errors": {"method": [_("Use POST.")]}}, status=405)
        response["Allow"] = "POST, OPTIONS"
        return _no_store(response)
    try:
        return _no_store(_track(request))
    except Refused as refused:
        response = JsonResponse({"errors": refused.errors}, status=refused.status)
        if refused.retry_after:
            response["Retry-After"] = str(refused.retry_after)
        return _no_store(response)
