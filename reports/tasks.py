"""Background jobs of scheduled reports: ``reports.due`` (beat, every 5 minutes, public schema) fans
out to every active client and, in each, creates the due scheduled deliveries and sends each delivery
that waits — queued, or left mid-way by a dead worker whose lease expired — to ``reports.deliver``
(tenant-aware: it runs in the schema it was sent from). Delivering twice is harmless: the claim lets
one worker through and a sent delivery is never sent again (``reports.delivery``)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from config.enqueue import task_send
from reports.delivery import delivery_run
from reports.services import deliveries_due
from tenants.fanout import each_active_client


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
    """Every 5 minutes (beat, public schema): each active client's due deliveries, created once, sent."""
    now = timezone.now()

    def work(client) -> int | None:
        ids = deliveries_due(client, now=now)
        for delivery_id in ids:
            if not task_send(report_deliver_task, args=(delivery_id,)):
                return None  # the broker is down: the rows wait, queued, for the next tick
        return len(ids)

    outcomes = each_active_client(work, stop=lambda sent: sent is None)
    return {"sent": sum(n for n in outcomes if n), "failed": outcomes.count(None)}
