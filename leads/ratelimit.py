"""Rate limits of the public capture endpoint, counted in the PostgreSQL rate windows of
``campaigns.rate_windows`` so that they hold across processes, servers and parallel bursts: each
request increments its minute's counters with one atomic upsert, so no two requests ever read the
same count.

Two counters per form and minute: one per visitor (a keyed hash of the client's IP address) and one
for everyone (visitor ``*``), which protects the client from a flood spread over many addresses.
Only requests within their visitor's limit count toward the global one, so a single noisy address
cannot use up the form's ceiling and lock everyone else out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.utils import timezone

from campaigns.models import RateWindow
from campaigns.rate_windows import (
    PURGE_ONE_IN,
    purge_now_and_then,
    seconds_to_next_window,
    visitor_key,
    window_start,
)

EVERYONE = "*"


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after: int  # seconds until the window ends (meaningful when refused)


def ceiling_per_minute() -> int:
    # Submissions per minute to one form from all visitors together.
    return settings.POULS_CAPTURE_CEILING_PER_MINUTE


def _upsert_sql() -> str:
    meta = RateWindow._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    form_key = quote(meta.get_field("form_key").column)
    visitor = quote(meta.get_field("visitor").column)
    start = quote(meta.get_field("window_start").column)
    count = quote(meta.get_field("count").column)
    conflict = f"ON CONFLICT ({form_key}, {visitor}, {start}) DO UPDATE SET {count} = {table}.{count} + 1"
    # One statement, one round trip: the visitor's counter, then (only within the visitor's limit)
    # the form's counter. Each upsert locks its row until the statement ends, always in this order.
    return f"""
        WITH mine AS (
            INSERT INTO {table} ({form_key}, {visitor}, {start}, {count}) VALUES (%s, %s, %s, 1)
            {conflict}
            RETURNING {count}
        ), everyone AS (
            INSERT INTO {table} ({form_key}, {visitor}, {start}, {count})
            SELECT %s, %s, %s, 1 FROM mine WHERE mine.{count} <= %s
            {conflict}
            RETURNING {count}
        )
        SELECT mine.{count}, (SELECT everyone.{count} FROM everyone) FROM mine
    """  # noqa: S608 (identifiers come from the model, values are parameters)


def capture_rate_hit(*, form_key: str, ip: str, per_visitor: int, now: datetime | None = None) -> RateDecision:
    """Count one submission to ``form_key`` from ``ip`` and say whether it is within the limits.

    Runs in the current client's schema (the connection's search path). Refused submissions are
    counted too: a visitor who keeps flooding stays refused until the minute ends.
    """
    now = now or timezone.now()
    start = window_start(now)
    with connection.cursor() as cursor:
        cursor.execute(_upsert_sql(), [form_key, visitor_key(ip), start, form_key, EVERYONE, start, per_visitor])
        mine, everyone = cursor.fetchone()
    purge_now_and_then(now=now, one_in=PURGE_ONE_IN)  # this module's name: a test may set it
    allowed = mine <= per_visitor and everyone is not None and everyone <= ceiling_per_minute()
    return RateDecision(allowed=allowed, retry_after=seconds_to_next_window(now))
