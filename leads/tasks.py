"""Background jobs of the CRM."""

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name

from campaigns.models import RateWindow
from campaigns.rate_windows import rate_windows_purge
from tenants.models import PendingWork
from tenants.pending import batch_task, each_client_of, mark_if, pending_send

# A purge is one DELETE per client: a batch is done in seconds.
PURGE_SOFT_TIME_LIMIT, PURGE_TIME_LIMIT = 2 * 60, 3 * 60


@shared_task(
    name="leads.capture_rate_windows_purge",
    acks_late=True,
    soft_time_limit=PURGE_SOFT_TIME_LIMIT,
    time_limit=PURGE_TIME_LIMIT,
)
def capture_rate_windows_purge() -> int | dict:
    """Forget the rate-limit windows (``campaigns.rate_windows``: the capture and tracking endpoints')
    older than an hour. Sent from a client, it purges that client's schema (returns the windows
    deleted); sent from the public schema (a single beat entry), it takes the ``rate_windows`` marks
    (clients whose endpoints wrote windows since) and sends one ``leads.capture_rate_windows_purge_batch``
    per batch of them: a client without windows is never visited. The endpoints also purge on their
    own now and then, so this only keeps idle forms tidy."""
    if connection.schema_name != get_public_schema_name():
        return rate_windows_purge()
    return pending_send(PendingWork.Kind.RATE_WINDOWS, capture_rate_windows_purge_batch)


@batch_task(
    "leads.capture_rate_windows_purge_batch", soft_time_limit=PURGE_SOFT_TIME_LIMIT, time_limit=PURGE_TIME_LIMIT
)
def capture_rate_windows_purge_batch(client_ids: list[int]) -> int:
    """Purge each of these clients' old windows in its schema; one whose windows are not all old yet is
    marked again, so the next hourly purge comes back for them. Returns the windows deleted."""

    def purge(client) -> int:
        deleted = rate_windows_purge()
        mark_if(client, PendingWork.Kind.RATE_WINDOWS, RateWindow.objects.exists())
        return deleted

    return sum(
        deleted or 0 for deleted in each_client_of(client_ids, purge, kind=PendingWork.Kind.RATE_WINDOWS).values()
    )
