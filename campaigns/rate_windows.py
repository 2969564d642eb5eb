"""Per-minute rate windows in PostgreSQL (``campaigns.models.RateWindow``), shared by the public endpoints
of a client account: the capture endpoint's forms (``leads.ratelimit``) and the tracking endpoint
(``campaigns.tracking``). Counting them in the database makes a limit hold across processes and servers;
each endpoint counts with one atomic upsert of its own (so no two requests read the same count), and
the windows are forgotten after an hour.
"""

from __future__ import annotations

import math
import secrets
from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.crypto import salted_hmac

from campaigns.models import RateWindow

WINDOW = timedelta(minutes=1)
# Windows are kept this long, then purged (by 1 request in PURGE_ONE_IN, or by leads.tasks every hour).
KEEP_WINDOWS = timedelta(hours=1)
PURGE_ONE_IN = 100


# Django's keyed hash (HMAC-SHA256 under a key derived from this salt and SECRET_KEY). Its values
# differ from those of the plain HMAC it replaced, which orphans nothing: a visitor's window lasts a
# minute (purged after an hour), so at that deploy each visitor's count started again once.
VISITOR_SALT = "pouls.rate_windows.visitor"


def visitor_key(ip: str) -> str:
    """A keyed hash of the address (64 hex digits): the IPv4 space is small enough to reverse a plain
    hash, and an address is personal data."""
    return salted_hmac(VISITOR_SALT, ip, algorithm="sha256").hexdigest()


def window_start(now: datetime | None = None) -> datetime:
    """The calendar minute ``now`` falls in."""
    return (now or timezone.now()).replace(second=0, microsecond=0)


def seconds_to_next_window(now: datetime) -> int:
    """The Retry-After of a refused request: until its minute ends (at least a second)."""
    return max(1, math.ceil((window_start(now) + WINDOW - now).total_seconds()))


def purge_now_and_then(*, now: datetime, one_in: int | None = None) -> None:
    """Purge old windows on one request in ``one_in`` (default PURGE_ONE_IN), so that a busy endpoint
    keeps the table small without a job; the hourly task tidies up after idle ones."""
    if secrets.randbelow(one_in or PURGE_ONE_IN) == 0:
        rate_windows_purge(now=now)


def rate_windows_purge(*, now: datetime | None = None) -> int:
    """Forget the windows older than an hour (in the current client's schema)."""
    deleted, _ = RateWindow.objects.filter(window_start__lt=(now or timezone.now()) - KEEP_WINDOWS).delete()
    return deleted
