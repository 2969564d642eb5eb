"""Which clients ``reports.due`` visits: those whose report work is waiting, found from the public schema.

Two marks (tenants.PendingWork), kept by reports 0004's triggers and by the batch that visits a client:

- ``report_sends``: a delivery is queued, rendering or sending (to send, or to take up again once its
  worker's lease expires). Due at once.
- ``reports``: a schedule's next run. Its ``marked_at`` holds the run's wall-clock time in the client's
  zone written as if it were UTC, and the take reads it in the client's current zone: a client whose time
  zone changes has its runs move with it, as ``reports.rules`` computes them, with nothing to update.
  A schedule created or changed marks it far in the past (due at the next tick), which visits the
  client and marks its next run.

The take leaves the marks of suspended clients and of suspended agencies' clients where they are:
nothing goes out in their name (``reports.services.deliveries_due``) until they are back, and the
next tick then visits them.
"""

from __future__ import annotations

from datetime import UTC, datetime

from django.db import connection
from django_tenants.utils import get_public_schema_name

from reports import rules
from reports.models import DeliveryStatus, ReportDelivery, ReportSchedule
from tenants.models import Agency, Client, PendingWork
from tenants.zones import client_zone

SENDS = PendingWork.Kind.REPORT_SENDS
DUE = PendingWork.Kind.REPORTS
AT_ONCE = datetime(2000, 1, 1, tzinfo=UTC)  # a ``reports`` mark due at the next tick (reports 0004's)
WAITING = (DeliveryStatus.QUEUED, DeliveryStatus.RENDERING, DeliveryStatus.SENDING)


def reports_take(*, now: datetime) -> list[int]:
    """Take (delete) the report marks that are due at ``now`` of the active clients of agencies not
    suspended, in one statement; returns their client ids, each once, in order. A ``reports`` mark is
    due once its wall-clock time has come in the client's zone (UTC if it is not a valid one). Of a time
    the autumn change repeats, the earlier instant counts (as ``reports.rules`` reads it)."""
    marks, clients, agencies = PendingWork._meta.db_table, Client._meta.db_table, Agency._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH due AS (
                SELECT mark.id FROM {marks} AS mark
                JOIN {clients} AS client ON client.id = mark.client_id
                LEFT JOIN {agencies} AS agency ON agency.id = client.agency_id
                CROSS JOIN LATERAL (
                    SELECT CASE WHEN client.time_zone IN (SELECT name FROM pg_timezone_names)
                                THEN client.time_zone ELSE 'UTC' END AS name,
                           mark.marked_at AT TIME ZONE 'UTC' AS wall
                ) AS zone
                WHERE mark.kind IN (%(sends)s, %(due)s)
                  AND client.is_active AND client.schema_name <> %(public)s AND agency.suspended_at IS NULL
                  AND (mark.kind = %(sends)s
                       OR LEAST(zone.wall AT TIME ZONE zone.name,
                                (zone.wall - interval '1 hour') AT TIME ZONE zone.name + interval '1 hour')
                          <= %(now)s)
            ), taken AS (
                DELETE FROM {marks} WHERE id IN (SELECT id FROM due) RETURNING client_id
            )
            SELECT DISTINCT client_id FROM taken ORDER BY client_id
            """,  # noqa: S608 (table names come from the models)
            {"sends": SENDS, "due": DUE, "public": get_public_schema_name(), "now": now},
        )
        return [client_id for (client_id,) in cursor.fetchall()]


def report_due_mark(client_id: int, wall_clock: datetime) -> None:
    """Mark the client's next run at ``wall_clock`` (its zone's, written as UTC), or keep an earlier mark."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {PendingWork._meta.db_table} AS mark (client_id, kind, marked_at) VALUES (%s, %s, %s)
            ON CONFLICT (client_id, kind) DO UPDATE SET marked_at = LEAST(mark.marked_at, EXCLUDED.marked_at)
            """,  # noqa: S608 (the table name comes from the model)
            [client_id, DUE, wall_clock],
        )


def next_run_wall_clock(client, *, now: datetime) -> datetime | None:
    """In ``client``'s schema: the earliest next run after ``now`` of its active schedules, as its zone's
    wall clock written as UTC (None without an active schedule)."""
    zone = client_zone(client)
    runs = [rules.next_run(schedule, now=now, zone=zone) for schedule in ReportSchedule.objects.filter(active=True)]
    return min(runs).replace(tzinfo=UTC) if runs else None


def deliveries_waiting() -> bool:
    """In a client's schema: whether a delivery is still queued or in flight (a later tick sends it again,
    or takes it up once its lease expires)."""
    return ReportDelivery.objects.filter(status__in=WAITING).exists()
