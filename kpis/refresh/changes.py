"""Which days a refresh recomputes: the dirty days the triggers marked since the last run, and the
days of facts whose timestamp has passed since then."""

from __future__ import annotations

from datetime import date, datetime

from campaigns.models import EmailSend
from kpis.measures import LEAD_TIMESTAMP, present_days_sql
from kpis.models import DirtyDay
from kpis.refresh.lock import TARGETS_MARK
from kpis.sql import quoted_table
from leads.models import Lead


def marks_consume(cursor) -> tuple[dict[str, set[date]], bool, bool]:
    """The dirty days written since the last refresh, by source, whether everything is dirty, and
    whether objectives or settings changed while a refresh held the lock (``TARGETS_MARK``)."""
    cursor.execute(f"DELETE FROM {quoted_table(DirtyDay)} RETURNING source, day")
    days: dict[str, set[date]] = {}
    everything = targets = False
    for source, day in cursor.fetchall():
        if source == TARGETS_MARK:
            targets = True
        elif source is None or day is None:
            everything = True
        else:
            days.setdefault(source, set()).add(day)
    return days, everything, targets


def visible_since(cursor, *, since: datetime, params: dict) -> dict[str, set[date]]:
    """Days of facts whose timestamp passed between the last run and now: written earlier with a
    future instant, they start to count now without any write to mark them. A lead counts on the day
    of each of its timestamps (its cohort), as in the triggers. Likewise the days of daily facts
    (spend, traffic, CTA, keywords) that the local date reached since the last run."""
    local = "({} AT TIME ZONE %(tz)s)::date"
    values = ", ".join(f"('{s}', {local.format('l.' + c)})" for s, c in LEAD_TIMESTAMP.items())
    passed = " OR ".join(f"(l.{c} > %(since)s AND l.{c} <= %(as_of)s)" for c in LEAD_TIMESTAMP.values())
    cursor.execute(
        f"""SELECT DISTINCT m.source, m.day FROM {quoted_table(Lead)} l
            CROSS JOIN LATERAL (VALUES {values}) m(source, day)
            WHERE m.day IS NOT NULL AND ({passed})
            UNION SELECT 'email', {local.format("f.sent_at")} FROM {quoted_table(EmailSend)} f
            WHERE f.sent_at > %(since)s AND f.sent_at <= %(as_of)s
            UNION {present_days_sql()}""",
        {**params, "since": since},
    )
    days: dict[str, set[date]] = {}
    for source, day in cursor.fetchall():
        days.setdefault(source, set()).add(day)
    return days
