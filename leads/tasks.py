"""Background jobs of the CRM."""

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name

from campaigns.rate_windows import rate_windows_purge
from tenants.fanout import each_active_client


@shared_task(name="leads.capture_rate_windows_purge", acks_late=True)
def capture_rate_windows_purge() -> int:
    """Forget the rate-limit windows (``campaigns.rate_windows``: the capture and tracking endpoints')
    older than an hour. Sent from a client, it purges that client's schema; sent from the public schema
    (a single beat entry), every active client's. The endpoints also purge on their own now and then,
    so this only keeps idle forms tidy."""
    if connection.schema_name != get_public_schema_name():
        return rate_windows_purge()
    return sum(each_active_client(lambda _client: rate_windows_purge()))
