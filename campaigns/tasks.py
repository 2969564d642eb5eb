"""Background jobs of the marketing data."""

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django_tenants.utils import get_public_schema_name

from campaigns.models import TrackingEvent
from tenants.models import PendingWork
from tenants.pending import batch_task, each_client_of, mark_if, pending_send

# A rollup runs within these (soft: the batch stops and marks the clients left; hard: the worker
# kills it), a batch of clients within the 5 minutes between two ticks.
ROLLUP_SOFT_TIME_LIMIT, ROLLUP_TIME_LIMIT = 4 * 60, 5 * 60


def _rollup_here() -> dict:
    """Roll up the current client's pending events, then forget its old processed ones."""
    from campaigns.tracking_rollup import tracking_events_purge
    from campaigns.tracking_rollup import tracking_rollup as rollup

    count = rollup()
    return {**count.as_dict(), "purged": tracking_events_purge()}


@shared_task(
    name="campaigns.tracking_rollup",
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    max_retries=3,
    retry_backoff=True,
    soft_time_limit=ROLLUP_SOFT_TIME_LIMIT,
    time_limit=ROLLUP_TIME_LIMIT,
)
def tracking_rollup() -> dict:
    """Add the pending tracking events to the daily facts. Sent from a client, it rolls up that
    client's schema (then forgets its old processed events); sent from the public schema (a single
    beat entry), it takes the ``tracking`` marks (clients that received events since) and sends one
    ``campaigns.tracking_rollup_batch`` per batch of them: idle clients get nothing. Retrying is
    safe: the rollup never counts an event twice."""
    if connection.schema_name != get_public_schema_name():
        return _rollup_here()
    return pending_send(PendingWork.Kind.TRACKING, tracking_rollup_batch)


@batch_task("campaigns.tracking_rollup_batch", soft_time_limit=ROLLUP_SOFT_TIME_LIMIT, time_limit=ROLLUP_TIME_LIMIT)
def tracking_rollup_batch(client_ids: list[int]) -> dict:
    """Roll up each of these clients in its schema, one after the other (a failing one is marked again
    and the batch goes on). Events left pending (of a CTA created meanwhile) mark the client again.
    Old processed events of a client without new ones stay until its next events: they only make
    ingest recognise re-sent ids a little longer."""

    def rollup(client) -> dict:
        counts = _rollup_here()
        mark_if(client, PendingWork.Kind.TRACKING, TrackingEvent.objects.filter(processed=False).exists())
        return counts

    done = each_client_of(client_ids, rollup, kind=PendingWork.Kind.TRACKING)
    return {
        "clients": sum(result is not None for result in done.values()),
        "events": sum(result["events"] for result in done.values() if result is not None),
    }
