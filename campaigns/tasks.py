"""Background jobs of the marketing data."""

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django_tenants.utils import get_public_schema_name

from config.enqueue import task_send


@shared_task(
    name="campaigns.tracking_rollup",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=True,
)
def tracking_rollup() -> dict:
    """Add the pending tracking events to the daily facts. Sent from a client, it rolls up that
    client's schema (then forgets its old processed events); sent from the public schema (a single
    beat entry), it sends one such task per active client, so clients roll up in parallel and one
    failure never holds back the others. Retrying is safe: the rollup never counts an event twice."""
    from campaigns.tracking_rollup import tracking_events_purge
    from campaigns.tracking_rollup import tracking_rollup as rollup
    from tenants.fanout import each_active_client

    if connection.schema_name != get_public_schema_name():
        count = rollup()
        return {**count.as_dict(), "purged": tracking_events_purge()}
    # stop once the broker is down: the events wait for the next tick
    sent = each_active_client(lambda _client: task_send(tracking_rollup), stop=lambda taken: not taken)
    return {"clients": sum(sent)}
