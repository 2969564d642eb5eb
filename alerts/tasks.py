"""Background jobs of alerts (tenant-aware: each runs in the schema of the client it was sent from)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django_tenants.utils import get_public_schema_name

from config.enqueue import task_send
from tenants.models import PendingWork
from tenants.pending import batch_task, each_client_of, mark_if, pending_send

# The sweep's mark (tenants.PendingWork): a client with a pending delivery (alerts 0003's trigger).
PENDING_KIND = PendingWork.Kind.ALERT_SENDS
# A batch of clients' sweep runs within these (soft: the batch stops and marks the clients left; hard:
# the worker kills it), well within the 5 minutes between two ticks.
SWEEP_SOFT_TIME_LIMIT, SWEEP_TIME_LIMIT = 4 * 60, 5 * 60


def _in_client(name: str) -> None:
    if connection.schema_name == get_public_schema_name():
        raise ValueError(f"{name} runs in a client's schema; send it inside tenant_context.")


@shared_task(
    name="alerts.evaluate",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=10,
)
def alerts_evaluate_task() -> dict:
    """Evaluate the client's alert rules (sent after each refresh commits)."""
    from alerts.evaluate import alerts_evaluate

    _in_client("alerts.evaluate")
    outcome = alerts_evaluate()
    return {"fired": len(outcome.fired), "recovered": len(outcome.recovered), "closed": len(outcome.closed)}


@shared_task(bind=True, name="alerts.deliver", acks_late=True, max_retries=None)
def alert_deliver_task(self, delivery_id: int) -> str:
    """One attempt of one delivery; on failure, again after an exponential backoff (the attempts are
    bounded by ``alerts.deliveries.MAX_ATTEMPTS``, counted in the delivery itself)."""
    from alerts.deliveries import backoff_seconds, delivery_attempt
    from alerts.models import AlertDelivery

    _in_client("alerts.deliver")
    outcome = delivery_attempt(delivery_id)
    if outcome == "retry":
        attempts = AlertDelivery.objects.values_list("attempts", flat=True).get(pk=delivery_id)
        raise self.retry(countdown=backoff_seconds(attempts))
    return outcome


@shared_task(name="alerts.deliveries_sweep", acks_late=True)
def alert_deliveries_sweep() -> dict:
    """Every 5 minutes (beat, public schema): take the ``alert_sends`` marks (clients with a pending
    delivery, set by alerts 0003's trigger) and send one ``alerts.deliveries_sweep_batch`` per batch of
    them. Idle clients cost nothing; once the broker refuses a batch, the clients not sent are marked
    again for the next tick."""
    return pending_send(PENDING_KIND, alert_deliveries_sweep_batch)


@batch_task("alerts.deliveries_sweep_batch", soft_time_limit=SWEEP_SOFT_TIME_LIMIT, time_limit=SWEEP_TIME_LIMIT)
def alert_deliveries_sweep_batch(client_ids: list[int]) -> dict:
    """In each of these clients' schemas: send again the deliveries whose task never came (the broker
    was down when the evaluation committed, or a worker died holding it). A delivery sent twice is
    attempted once at a time and never after it succeeded (``delivery_attempt`` locks it). A client
    still holding pending deliveries (sent now, or not overdue yet) stays marked for the next tick, as
    every tick looked at every client; once the broker refuses a send, that client and the rest of the
    batch are marked again and the batch stops."""
    from alerts.deliveries import deliveries_overdue
    from alerts.models import AlertDelivery, DeliveryStatus

    def send(client) -> str:
        for pk in deliveries_overdue():
            if not task_send(alert_deliver_task, args=(pk,)):
                return "failed"
        mark_if(client, PENDING_KIND, AlertDelivery.objects.filter(status=DeliveryStatus.PENDING).exists())
        return "ok"

    outcomes = list(
        each_client_of(client_ids, send, kind=PENDING_KIND, stop=lambda outcome: outcome == "failed").values()
    )
    return {kind: outcomes.count(kind) for kind in ("ok", "failed")} | {"errors": outcomes.count(None)}
