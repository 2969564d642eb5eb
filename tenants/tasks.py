from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name

from config.events import worker_probed


@shared_task(name="tenants.worker_ping", acks_late=True, max_retries=0)
def worker_ping() -> dict:
    """Answer from inside the schema the task was sent from.

    ``manage.py check_worker`` uses it to prove a worker is up and tenant-aware: the answer names
    the schema it ran in and adds what the apps above read from that schema (``worker_probed``:
    campaigns counts the client's channels), since tenants itself has no table in a client's schema.
    """
    if connection.schema_name == get_public_schema_name():
        return {"schema": connection.schema_name, "client": None}
    answer = {"schema": connection.schema_name, "client": connection.tenant.slug}
    for _receiver, read in worker_probed.send(sender=worker_ping):
        answer.update(read)
    return answer
