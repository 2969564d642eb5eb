"""Background jobs of the CRM."""

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name


@shared_task(name="leads.capture_rate_windows_purge", acks_late=True)
def capture_rate_windows_purge() -> int:
    """Forget the capture endpoint's rate-limit windows older than an hour. Sent from a client, it
    purges that client's schema; sent from the public schema (a single beat entry), every active client's.
    The endpoint also purges on its own now and then, so this only keeps idle forms tidy."""
    from leads.ratelimit import capture_rate_windows_purge as purge
    from tenants.fanout import each_active_client

    if connection.schema_name != get_public_schema_name():
        return purge()
    return sum(each_active_client(lambda _client: purge()))
