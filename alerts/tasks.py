"""Background jobs of alerts (tenant-aware: each runs in the schema of the client it was sent from)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django_tenants.utils import get_public_schema_name


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
    """Every 5 minutes (beat, public schema): send again the deliveries whose task never came (the
    broker was down when the evaluation committed, or a worker died holding it). A delivery sent twice
    is attempted once at a time and never after it succeeded (``delivery_attempt`` locks it)."""
    from alerts.deliveries import deliveries_overdue
    from config.enqueue import task_send
    from tenants.fanout import each_active_client

    def send(client) -> str:
        for pk in deliveries_overdue():
            if not task_send(alert_deliver_task, args=(pk,)):
                return "failed"
        return "ok"

    outcomes = each_active_client(send, stop=lambda outcome: outcome == "failed")
    return {kind: outcomes.count(kind) for kind in ("ok", "failed")}
