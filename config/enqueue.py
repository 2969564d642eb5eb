"""Sending Celery tasks without ever failing the write that asked for them.

A request commits its write first and sends its task afterwards (``transaction.on_commit``). If the
broker is down at that moment, letting kombu's error through answered 500 for a write that had
succeeded, and clients retried it. So every send goes through ``task_send``: a failure is logged and
reported to the caller, never raised, and the durable state the task would have consumed is picked
up later by a periodic task once the broker is back (a queued import job: ``campaigns.import_jobs_sweep``;
dirty days: ``kpis.refresh_due``). The publish gives up within a few seconds (broker connect timeout
and ``CELERY_TASK_PUBLISH_RETRY_POLICY`` in the settings), so a request never hangs on a dead broker.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.db import connection, transaction
from django_tenants.utils import schema_context

log = logging.getLogger("pouls.enqueue")


@dataclass
class Sending:
    """What became of a task sent on commit: ``sent`` is None until the commit, then whether the
    broker took it."""

    sent: bool | None = None

    @property
    def failed(self) -> bool:
        return self.sent is False


def task_send(
    task, /, *, args: tuple | list = (), kwargs: dict | None = None, schema: str | None = None, **options
) -> bool:
    """Publish ``task`` now (from ``schema`` when given, else the current one: its headers carry it).
    True when the broker took it; False, logged, when the broker could not be reached.

    Nobody waits for these results, so the result store is left out (``ignore_result``): with Redis,
    Celery otherwise subscribes to the result channel before publishing, and a dead result store
    held the request for 20 seconds before raising."""
    try:
        with schema_context(schema) if schema else nullcontext():
            task.apply_async(args=args, kwargs=kwargs, ignore_result=True, **options)
    except Exception:  # kombu's OperationalError or whatever the transport raises: never the writer's failure
        log.exception(
            "could not queue %s (schema %s); a periodic task will pick the work up",
            task.name,
            schema or connection.schema_name,
        )
        return False
    return True


def task_send_on_commit(task, /, *, on_failure: Callable[[], None] | None = None, **send) -> Sending:
    """Send ``task`` (``task_send``'s arguments) once the current transaction commits, from the
    current schema; if the broker cannot take it, call ``on_failure`` (in that schema) so the caller
    can record that the work waits. The returned ``Sending`` tells how it went after the commit."""
    schema = connection.schema_name
    sending = Sending()

    def send_now() -> None:
        sending.sent = task_send(task, schema=schema, **send)
        if not sending.sent and on_failure is not None:
            with schema_context(schema):
                on_failure()

    # robust: should on_failure itself fail, the write stays answered as committed (Django logs it).
    transaction.on_commit(send_now, robust=True)
    return sending
