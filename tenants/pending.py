"""Which clients have background work waiting, and the batches the periodic fan-out sends them in.

The client schemas' triggers mark a client when work arrives (``PendingWork``: dirty days, tracking
events, rate windows, queued import jobs, pending alert deliveries, waiting report deliveries and
schedules' next runs; one row per client and kind). Beat's periodic task, in the public schema, takes
the marks of active clients in one statement and sends one task per batch of ``CLIENTS_PER_TASK``
clients; the batch task does each client's work in its schema, guarded, so one failing client
neither stops the batch nor loses its work (it is marked again). Taking deletes the marks before the
work runs, so whatever arrives while it runs marks the client again for the next cycle. Idle clients
cost nothing: no query, no task. Suspended clients keep their marks until they are reactivated.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TypeVar

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import InterfaceError, OperationalError, connection
from django_tenants.utils import get_public_schema_name, tenant_context

from config.enqueue import task_send
from tenants.models import Client, PendingWork

log = logging.getLogger("pouls.pending")

CLIENTS_PER_TASK = 10  # a batch task does this many clients' work, one after the other
T = TypeVar("T")


def pending_take(kind: str) -> list[int]:
    """Take (delete) the marks of ``kind`` of the active client accounts, in one statement; returns
    their client ids, in order."""
    table, clients = PendingWork._meta.db_table, Client._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH taken AS (
                DELETE FROM {table} AS mark USING {clients} AS client
                WHERE mark.client_id = client.id AND mark.kind = %s
                  AND client.is_active AND client.schema_name <> %s
                RETURNING mark.client_id
            )
            SELECT client_id FROM taken ORDER BY client_id
            """,  # noqa: S608 (table names come from the models)
            [kind, get_public_schema_name()],
        )
        return [client_id for (client_id,) in cursor.fetchall()]


def pending_mark(client_ids: Sequence[int], kind: str) -> None:
    """Mark these clients as having work of ``kind`` waiting (again): one insert, existing marks kept."""
    if client_ids:
        marks = [PendingWork(client_id=client_id, kind=kind) for client_id in client_ids]
        PendingWork.objects.bulk_create(marks, ignore_conflicts=True)


def batch_task(name: str, *, soft_time_limit: int, time_limit: int, **options):
    """``shared_task`` for a fan-out's batch task: acknowledged once done and given back to the queue if
    its worker dies (its clients' marks are already taken), retried when the database connection drops,
    under a soft time limit (the batch stops and marks the clients left) and a hard one. ``options``
    override the defaults."""
    return shared_task(
        **{
            "name": name,
            "acks_late": True,
            "reject_on_worker_lost": True,
            "autoretry_for": (OperationalError, InterfaceError),
            "max_retries": 3,
            "retry_backoff": True,
            "soft_time_limit": soft_time_limit,
            "time_limit": time_limit,
            **options,
        }
    )


def pending_send(kind: str, task) -> dict:
    """A periodic tick: take the marks of ``kind`` and send ``task`` once per batch of their clients (its
    one argument: the batch's client ids). Idle clients cost nothing; once the broker refuses a batch,
    the clients not sent are marked again for the next tick."""
    client_ids = pending_take(kind)
    sent = batches_send(task, client_ids, kind=kind, args=lambda batch: [batch])
    return {"clients": len(client_ids), "tasks": sent}


def batches_send(task, client_ids: Sequence[int], *, kind: str, args: Callable[[list[int]], list], **options) -> int:
    """Send ``task`` once per batch of ``CLIENTS_PER_TASK`` clients (its arguments: ``args(batch)``), from
    the current schema. Once the broker refuses one, the clients not sent are marked again for the next
    cycle and nothing more is sent. Returns the tasks sent."""
    sent = 0
    for start in range(0, len(client_ids), CLIENTS_PER_TASK):
        batch = list(client_ids[start : start + CLIENTS_PER_TASK])
        if not task_send(task, args=args(batch), **options):
            pending_mark(client_ids[start:], kind)
            break
        sent += 1
    return sent


def each_client_of(
    client_ids: Sequence[int], work: Callable[[Client], T], /, *, kind: str, stop: Callable[[T], bool] | None = None
) -> dict[int, T | None]:
    """In a batch task: ``work(client)`` in each client's schema, in order. A client whose work raises is
    logged and marked again (its result: None), and the batch goes on; at the task's soft time limit the
    current and remaining clients are marked again and the batch stops. After a result for which ``stop``
    is true (the broker refused a send) that client and the remaining ones are marked again and the batch
    stops: the next cycle does them. Should marking fail too (the database is gone), the error is raised,
    for the task's retry to do the whole batch again."""
    clients = Client.objects.select_related("agency").in_bulk(list(client_ids))  # work reads the agency
    ordered = [clients[client_id] for client_id in client_ids if client_id in clients]
    results: dict[int, T | None] = {}
    for index, client in enumerate(ordered):
        try:
            with tenant_context(client):
                results[client.pk] = work(client)
            if stop is not None and stop(results[client.pk]):
                log.warning(
                    "%s work stopped in %s: %d clients left for the next cycle",
                    kind,
                    client.schema_name,
                    len(ordered) - index,
                )
                pending_mark([c.pk for c in ordered[index:]], kind)
                break
        except SoftTimeLimitExceeded:
            log.warning("time limit: %d clients' %s work left for the next cycle", len(ordered) - index, kind)
            pending_mark([c.pk for c in ordered[index:]], kind)
            break
        except Exception:
            log.exception("%s work failed in %s; marked again for the next cycle", kind, client.schema_name)
            results[client.pk] = None
            pending_mark([client.pk], kind)
    return results


def mark_if(client: Client, kind: str, still_pending: bool) -> None:
    """After a client's work: mark it again when work is still waiting (written during the work by a
    transaction that began before the marks were taken, or left over on purpose)."""
    if still_pending:
        pending_mark([client.pk], kind)
