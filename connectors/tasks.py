"""The connectors' background jobs: one sync task per source, sent by one periodic task
(docs/connectors.md, "Syncing").

``connectors.due`` (beat, every 15 minutes, public schema) claims the sources whose slot has come in one
``UPDATE … RETURNING`` — moving each one's ``next_run_at`` to its next day's slot, so the next tick does
not send it again — and sends each a ``connectors.sync`` in its client's schema. It reads only the
sources due: it never walks the client schemas.

``connectors.sync`` retries a ``Transient`` failure (the platform still unavailable after the request's
own retries) 3 times, waiting ``POULS_CONNECTOR_RETRY_BASE`` half-minutes doubled each time (1, 2, then
4 minutes with the production base of 2 seconds; a few seconds in the suite); past them the source
shows the error and its next daily slot tries again.
"""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from config.enqueue import task_send
from connectors.errors import Transient
from connectors.models import ConnectionStatus, Source, SourceStatus
from connectors.windows import JITTER_SQL, SYNC_AT
from tenants.models import Agency, Client

MAX_RETRIES = 3
SOFT_TIME_LIMIT = 30 * 60
TIME_LIMIT = 35 * 60
SEND_EXPIRES = 6 * 3600  # a sync still queued after 6 hours is dropped: the next slot catches up
RETRY_SCALE = 30  # the request's retry base, in seconds, becomes the task's in half-minutes


def retry_countdown(retries: int) -> float:
    return settings.POULS_CONNECTOR_RETRY_BASE * RETRY_SCALE * 2**retries


@shared_task(
    bind=True,
    name="connectors.sync",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=MAX_RETRIES,
    soft_time_limit=SOFT_TIME_LIMIT,
    time_limit=TIME_LIMIT,
)
def connector_sync_task(self, source_id: int, mode: str = "auto") -> dict:
    """Sync one source, in its client's schema (the task carries it). Refuses the public schema."""
    from connectors.sync import source_sync

    if connection.schema_name == get_public_schema_name():
        raise ValueError("connectors.sync runs in its client's schema; send it inside tenant_context.")
    try:
        return source_sync(source_id, mode=mode).as_dict()
    except Transient as error:
        raise self.retry(exc=error, countdown=retry_countdown(self.request.retries)) from error


def _claim_sql() -> str:
    q = connection.ops.quote_name
    source, client, agency = q(Source._meta.db_table), q(Client._meta.db_table), q(Agency._meta.db_table)
    conn = q(Source._meta.get_field("connection").related_model._meta.db_table)
    # An unknown zone name counts as UTC, as tenants.zones.client_zone reads it.
    zone = "COALESCE(z.name, 'UTC')"
    tomorrow_slot = (
        f"((((%(now)s AT TIME ZONE {zone})::date + 1) + time '{SYNC_AT.isoformat()}') AT TIME ZONE {zone})"
        f" + {JITTER_SQL.format(id='s.id')}"
    )
    return f"""
        WITH zones AS MATERIALIZED (SELECT name FROM pg_timezone_names)
        UPDATE {source} s SET next_run_at = {tomorrow_slot}
        FROM {client} c JOIN {conn} k ON true LEFT JOIN zones z ON z.name = c.time_zone
        WHERE s.client_id = c.id AND s.connection_id = k.id
          AND s.next_run_at <= %(now)s AND s.status <> %(broken)s
          AND k.status = %(active)s AND c.is_active
          AND NOT EXISTS (SELECT 1 FROM {agency} a WHERE a.id = c.agency_id AND a.suspended_at IS NOT NULL)
        RETURNING s.id, c.schema_name
    """  # noqa: S608 (the code's own identifiers only)


def sources_claim(now) -> list[tuple[int, str]]:
    """Claim the sources due at ``now`` (one statement), each moved to its slot of the day after ``now``'s
    (local): ``[(source id, client schema)]``. The sync sets the exact next slot when it ends."""
    with connection.cursor() as cursor:
        cursor.execute(
            _claim_sql(),
            {
                "now": now,
                "broken": SourceStatus.BROKEN.value,
                "active": ConnectionStatus.ACTIVE.value,
            },
        )
        return sorted(cursor.fetchall())


@shared_task(name="connectors.due", acks_late=True)
def connectors_due(now=None) -> dict:
    """Every 15 minutes (beat, public schema): send a sync to every source whose slot has come. Once the
    broker is down, the sources not sent yet are made due again for the next tick."""
    now = now or timezone.now()
    claimed = sources_claim(now)
    sent, unsent = 0, []
    for source_id, schema in claimed:
        if unsent or not task_send(
            connector_sync_task, kwargs={"source_id": source_id, "mode": "auto"}, schema=schema, expires=SEND_EXPIRES
        ):
            unsent.append(source_id)
        else:
            sent += 1
    if unsent:
        Source.objects.filter(pk__in=unsent).update(next_run_at=now)
    return {"sent": sent, "failed": len(unsent)}
