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
