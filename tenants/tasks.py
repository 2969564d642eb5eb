from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name


@shared_task(name="tenants.worker_ping", acks_late=True, max_retries=0)
def worker_ping() -> dict:
    """Answer from inside the schema the task was sent from.

    ``manage.py check_worker`` uses it to prove a worker is up and tenant-aware: the answer names
    the schema it ran in and counts that client's channels (read from that schema).
    """
    from campaigns.models import Channel

    if connection.schema_name == get_public_schema_name():
        return {"schema": connection.schema_name, "client": None}
    return {
        "schema": connection.schema_name,
        "client": connection.tenant.slug,
        "channels": Channel.objects.count(),
    }
