"""Background jobs of scheduled reports: ``reports.due`` (beat, every 5 minutes, public schema) finds
the clients with report work due (``reports.pending``'s marks) and sends them, in batches, to
``reports.due_batch``, which in each creates the due scheduled deliveries and sends each delivery that
waits — queued, or left mid-way by a dead worker whose lease expired — to ``reports.deliver``
(tenant-aware: it runs in the schema it was sent from). Delivering twice is harmless: the claim lets
one worker through and a sent delivery is never sent again (``reports.delivery``)."""

from __future__ import annotations

from datetime import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from config.enqueue import task_send
from reports.delivery import delivery_run
from reports.pending import SENDS, deliveries_waiting, next_run_wall_clock, report_due_mark, reports_take
from reports.services import deliveries_due
from tenants.pending import batch_task, batches_send, each_client_of, mark_if, pending_mark

# A batch of clients' due reports is created and sent within these (soft: the batch stops and marks
# the clients left; hard: the worker kills it), well within the 5 minutes between two ticks: the
# rendering itself is ``reports.deliver``'s.
DUE_SOFT_TIME_LIMIT, DUE_TIME_LIMIT = 4 * 60, 5 * 60


@shared_task(
    name="reports.deliver",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=10,
)
def report_deliver_task(delivery_id: int) -> dict:
    """Render and send one delivery of the client whose schema the task carries (fail closed outside)."""
    if connection.schema_name == get_public_schema_name():
        raise ValueError("reports.deliver runs in a client's schema; send it inside tenant_context.")
    delivery = delivery_run(delivery_id)
    return {"id": delivery_id, "status": delivery.status if delivery is not None else None}


@shared_task(name="reports.due", acks_late=True)
def reports_due_task() -> dict:
    """Every 5 minutes (beat, public schema): take the report marks due (``reports.pending``: a delivery
    waiting, a schedule's run come) and send one ``reports.due_batch`` per batch of those clients. Idle
    clients, and clients whose next run is days away, cost nothing. Once the broker refuses a batch, the
    clients not sent are marked again for the next tick."""
    now = timezone.now()
    client_ids = reports_take(now=now)
    sent = batches_send(reports_due_batch, client_ids, kind=SENDS, args=lambda batch: [batch, now.isoformat()])
    return {"clients": len(client_ids), "tasks": sent}


@batch_task("reports.due_batch", soft_time_limit=DUE_SOFT_TIME_LIMIT, time_limit=DUE_TIME_LIMIT)
def reports_due_batch(client_ids: list[int], at: str) -> dict:
    """In each of these clients' schemas, as of the tick's instant ``at``: create the due scheduled
    deliveries (once) and send each delivery that waits to ``reports.deliver``; then mark the client's
    next run, and keep it marked while deliveries wait or are in flight. A failing client is marked
    again and the batch goes on; once the broker refuses a send, that client and the rest of the batch
    are marked again (the rows wait, queued) and the batch stops."""
    now = datetime.fromisoformat(at)

    def work(client) -> int | None:
        ids = deliveries_due(client, now=now)
        for delivery_id in ids:
            if not task_send(report_deliver_task, args=(delivery_id,)):
                return None
        if client.agency_id is not None and client.agency.suspended_at is not None:
            pending_mark([client.pk], SENDS)  # taken once the agency is back: its latest period, then
            return 0
        wall_clock = next_run_wall_clock(client, now=now)
        if wall_clock is not None:
            report_due_mark(client.pk, wall_clock)
        mark_if(client, SENDS, deliveries_waiting())
        return len(ids)

    outcomes = list(each_client_of(client_ids, work, kind=SENDS, stop=lambda sent: sent is None).values())
    return {"sent": sum(n for n in outcomes if n), "failed": outcomes.count(None)}
