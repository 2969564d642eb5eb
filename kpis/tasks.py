"""Background jobs of the KPIs: a client's refresh, and the periodic task that sends them, in batches,
to the clients with dirty days and to those whose nightly full refresh is due."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection, transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from kpis.models import DirtyDay
from tenants.models import Client, FanoutTick, PendingWork
from tenants.pending import (
    CLIENTS_PER_TASK,
    batch_task,
    batches_send,
    each_client_of,
    mark_if,
    pending_mark,
    pending_take,
)

NIGHTLY_AT = time(3, 0)  # local time of the full refresh
TICK = "kpis.refresh_due"  # its FanoutTick row: when the nightly refreshes due were last sent
FIRST_WINDOW = timedelta(minutes=15)  # the very first tick looks this far back for a 03:00
# A refresh runs within these (soft: the task stops and says so; hard: the worker kills it), a batch
# of CLIENTS_PER_TASK within the 15 minutes between two ticks. The soft limit marks the clients
# left so the next tick does them.
REFRESH_SOFT_TIME_LIMIT, REFRESH_TIME_LIMIT = 8 * 60, 9 * 60
BATCH_SOFT_TIME_LIMIT, BATCH_TIME_LIMIT = 13 * 60, 14 * 60


class RefreshBusy(Exception):
    """Another refresh of the same client is running: try again shortly."""


@shared_task(
    bind=True,
    name="kpis.snapshot_refresh",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError, RefreshBusy),
    max_retries=5,
    retry_backoff=10,
    retry_backoff_max=120,
    soft_time_limit=REFRESH_SOFT_TIME_LIMIT,
    time_limit=REFRESH_TIME_LIMIT,
)
def kpi_snapshot_refresh_task(self, full: bool = False) -> dict:
    """Refresh the snapshots of the client whose schema the task carries. Idempotent: running it
    twice changes nothing the second time. Refuses to run outside a client (fail closed)."""
    from kpis.refresh import kpi_snapshot_refresh

    if connection.schema_name == get_public_schema_name():
        raise ValueError("kpis.snapshot_refresh runs in a client's schema; send it inside tenant_context.")
    result = kpi_snapshot_refresh(full=full)
    if result.busy:
        raise RefreshBusy(connection.schema_name)
    return result.as_dict()


def clients_due_nightly(*, since: datetime, now: datetime) -> list[int]:
    """The active client accounts whose local ``NIGHTLY_AT`` (their ``time_zone``; UTC if it is not a
    valid one) passed in (``since``, ``now``]: one query on the public ``tenants_client``."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT client.id FROM {Client._meta.db_table} AS client
            CROSS JOIN LATERAL (
                SELECT CASE WHEN client.time_zone IN (SELECT name FROM pg_timezone_names)
                            THEN client.time_zone ELSE 'UTC' END AS name
            ) AS zone
            WHERE client.is_active AND client.schema_name <> %(public)s
              AND (date_trunc('day', (%(now)s::timestamptz AT TIME ZONE zone.name) - %(at)s::interval)
                   + %(at)s::interval) AT TIME ZONE zone.name > %(since)s
            ORDER BY client.id
            """,  # noqa: S608 (the table name comes from the model)
            {"public": get_public_schema_name(), "now": now, "since": since, "at": NIGHTLY_AT.isoformat()},
        )
        return [client_id for (client_id,) in cursor.fetchall()]


@batch_task("kpis.refresh_batch", soft_time_limit=BATCH_SOFT_TIME_LIMIT, time_limit=BATCH_TIME_LIMIT, retry_backoff=10)
def kpi_refresh_batch(client_ids: list[int], full_ids: list[int]) -> dict:
    """Refresh each of these clients in its schema (in full for ``full_ids``: their nightly one), one
    after the other (``tenants.pending.each_client_of``: a failing client is marked again and the
    batch goes on). A client whose refresh another one holds is marked again (``busy``), a full one
    by marking everything dirty so that the next refresh is full."""
    from kpis.refresh import kpi_snapshot_refresh

    full_set = set(full_ids)

    def refresh(client) -> str:
        full = client.pk in full_set
        result = kpi_snapshot_refresh(full=full)
        if result.busy:
            if full:
                DirtyDay.objects.create(source=None, day=None)  # its trigger marks the client
            pending_mark([client.pk], PendingWork.Kind.KPIS)
            return "busy"
        mark_if(client, PendingWork.Kind.KPIS, DirtyDay.objects.exists())
        return result.mode

    outcomes = list(each_client_of(client_ids, refresh, kind=PendingWork.Kind.KPIS).values())
    counts = {kind: outcomes.count(kind) for kind in ("incremental", "full", "busy")}
    return counts | {"failed": outcomes.count(None), "left": len(client_ids) - len(outcomes)}


@shared_task(name="kpis.refresh_due", acks_late=True)
def kpi_refresh_due() -> dict:
    """Every 15 minutes (beat, public schema): refresh the active clients with dirty days (their
    ``PendingWork`` marks, taken) and, in full, those whose nightly 03:00 (client time) passed since
    the last tick; in batches of ``CLIENTS_PER_TASK`` clients per task. Idle clients get nothing
    (their snapshots stay right: nothing changed). A constant number of queries whatever the clients."""
    now = timezone.now()
    with transaction.atomic():
        # The tick's row, locked: two ticks at once would send the nightly refreshes twice.
        FanoutTick.objects.bulk_create([FanoutTick(name=TICK, at=now - FIRST_WINDOW)], ignore_conflicts=True)
        tick = FanoutTick.objects.select_for_update().get(name=TICK)
        full_ids = clients_due_nightly(since=tick.at, now=now)
        client_ids = sorted({*pending_take(PendingWork.Kind.KPIS), *full_ids})
        nightly = set(full_ids)
        sent = batches_send(
            kpi_refresh_batch,
            client_ids,
            kind=PendingWork.Kind.KPIS,
            args=lambda batch: [batch, [client_id for client_id in batch if client_id in nightly]],
        )
        all_sent = sent * CLIENTS_PER_TASK >= len(client_ids)
        if all_sent:  # else the nightly ones not sent stay due for the next tick
            FanoutTick.objects.filter(name=TICK).update(at=now)
    return {"clients": len(client_ids), "full": len(full_ids), "tasks": sent, "failed": not all_sent}
