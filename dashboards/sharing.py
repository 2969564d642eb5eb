"""Share links: a read-only link to one client's dashboard for people without an account. The one home
of their rules, for the Share page, the shared page itself and the API.

Security model (docs/architecture.md, "Share links"):

- The token is 32 random bytes (``secrets.token_urlsafe``); only its SHA-256 is stored, so the URL is
  shown once, at creation, and a copy of the table opens nothing. A token is looked up by its hash
  (an index probe, the same work for a good and a bad one); unknown, expired and revoked tokens get
  the same 404.
- A link shows one period, fixed or rolling (resolved on each visit in the client's zone), and
  nothing else: no drill-down, no CSV, no other client, no link into the product.
- An optional password, hashed by Django's hashers (``check_password`` compares in constant time);
  after a right one, a cookie signed for that link alone and sent to its path only.
- Every link expires, at most a year after its creation; revoking takes effect on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.contrib.auth.hashers import check_password, make_password
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.models import AuditAction
from audit.services import audit_record_in_current_client
from config.errors import DomainError
from config.throttling import FailureLimit, Quota
from dashboards.models import ShareLink, ShareRange
from dashboards.state import DashboardState, StateError, state_from_query
from tenants.models import Agency
from tenants.zones import client_zone

MAX_LIFETIME = timedelta(days=365)
DEFAULT_LIFETIME = timedelta(days=30)
MIN_PASSWORD_LENGTH = 8
# Open links at once per client: the Share page lists them all (revoked and expired ones stay listed).
MAX_SHARE_LINKS = 100
# Requests to shared pages (page, chart data, brand, password form) per address and minute: one opening
# makes two to four, so a meeting room behind one address opens it together; a script walking tokens
# or hammering one link is stopped early.
SHARED_REQUESTS = Quota(scope="share_link_requests", limit=120, window=timedelta(minutes=1))
# Wrong passwords per address and link in 15 minutes (counted only when wrong).
PASSWORD_FAILURES = FailureLimit(scope="share_link_password", limit=10, window=timedelta(minutes=15))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def share_link_state(link: ShareLink) -> DashboardState:
    """The dashboard state a link shows (a rolling range resolves against today when it is drawn)."""
    return DashboardState(period=link.period, range=link.range, date_from=link.date_from, date_to=link.date_to)


def _end_of_local_day(day: date) -> datetime:
    """The first instant after ``day`` in the current client's zone: a link valid "until the 30th"
    opens all day on the 30th, there."""
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=client_zone(connection.tenant))


@dataclass(frozen=True)
class NewShareLink:
    link: ShareLink
    token: str  # shown once, never stored


@transaction.atomic
def share_link_create(
    *,
    label: str,
    period: str,
    range: str,
    date_from: str = "",
    date_to: str = "",
    password: str = "",
    expires_on: date | str | None,
    by,
    today: date,
) -> NewShareLink:
    """A new link, its token returned once. ``today``: the client's local date; the link opens until
    the end of ``expires_on`` (at most a year away). Raises DomainError on the first bad field."""
    label = (label or "").strip()
    if not label:
        raise DomainError(_("Give the link a label."), field="label")
    if ShareLink.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now()).count() >= MAX_SHARE_LINKS:
        message = _("A client account has at most %(max)d open share links: revoke one first.")
        raise DomainError(message % {"max": MAX_SHARE_LINKS}, field="label")
    if len(label) > ShareLink._meta.get_field("label").max_length:
        raise DomainError(_("At most 100 characters."), field="label")
    params = {"period": period, "range": range}
    if range == ShareRange.CUSTOM:
        params |= {"from": date_from, "to": date_to}
    try:
        state = state_from_query(params)
    except StateError as error:
        field, texts = next(iter(error.errors.items()))
        raise DomainError(texts[0], field={"from": "date_from", "to": "date_to"}.get(field, field)) from error
    expires_on = _expiry_date(expires_on)
    if expires_on < today:
        raise DomainError(_("The expiry date has passed."), field="expires_on")
    if expires_on > today + MAX_LIFETIME:
        raise DomainError(_("A link lasts at most a year."), field="expires_on")
    if password and len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(_("At least 8 characters, or none."), field="password")
    if len(password) > 128:
        raise DomainError(_("At most 128 characters."), field="password")
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    link = ShareLink.objects.create(
        token_hash=token_hash(token),
        label=label,
        period=state.period,
        range=state.range,
        date_from=state.date_from,
        date_to=state.date_to,
        password=make_password(password) if password else "",
        expires_at=min(_end_of_local_day(expires_on), now + MAX_LIFETIME),
        created_by=by if getattr(by, "is_authenticated", False) else None,
        created_by_email=getattr(by, "email", "") or "",
        created_at=now,
    )
    audit_record_in_current_client(
        actor=by,
        action=AuditAction.SHARE_LINK_CREATED,
        target=_audit_target(link),
        details={"expiry": link.expires_at, "password": bool(password)},
    )
    return NewShareLink(link=link, token=token)


@transaction.atomic
def share_link_revoke(*, link: ShareLink, by) -> ShareLink:
    """Revoke at once (the next request gets the 404); revoking twice changes nothing."""
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        audit_record_in_current_client(actor=by, action=AuditAction.SHARE_LINK_REVOKED, target=_audit_target(link))
    return link


def share_link_resolve(token: str) -> ShareLink | None:
    """The live link of ``token`` in the current client's schema, or ``None`` (unknown, expired and
    revoked alike). ONE query."""
    if not token or len(token) > 100:
        return None
    return ShareLink.objects.filter(
        token_hash=token_hash(token), revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


def share_link_password_ok(link: ShareLink, password: str) -> bool:
    """Constant-time, through Django's hasher (a link without a password needs none)."""
    return not link.password or check_password(password, link.password)


@transaction.atomic
def share_link_opened(*, link: ShareLink) -> None:
    """Count a visit (the page, not its chart data) and log it: who opened it is unknown, so the log
    says which link and when."""
    now = timezone.now()
    ShareLink.objects.filter(pk=link.pk).update(last_used_at=now, use_count=F("use_count") + 1)
    audit_record_in_current_client(actor=None, action=AuditAction.SHARE_LINK_OPENED, target=_audit_target(link))


def share_links_list() -> list[ShareLink]:
    """Every link of the current client, newest first (live, expired and revoked)."""
    return list(ShareLink.objects.all())


def share_link_status(link: ShareLink, now: datetime | None = None) -> str:
    now = now or timezone.now()
    if link.revoked_at is not None:
        return "revoked"
    return "expired" if link.expires_at <= now else "live"


def _expiry_date(raw: date | str | None) -> date:
    if isinstance(raw, date):
        return raw
    if not (raw or "").strip():
        raise DomainError(_("Enter the date the link stops working."), field="expires_on")
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise DomainError(_("Enter a date as YYYY-MM-DD."), field="expires_on") from None


def share_links_open(client) -> bool:
    """Whether ``client``'s share links may open: active (the middleware checked it) and its agency
    not suspended, as for its own people (``tenants.access``). ONE query."""
    return not Agency.objects.filter(pk=client.agency_id, suspended_at__isnull=False).exists()


def _audit_target(link: ShareLink) -> str:
    return f"{link.label} (#{link.pk})"
