"""What the connectors' real-worker tests share: a Celery worker on its own queue that reaches the fake
platforms, an agency grant whose tokens a fake issued, a sync run in that worker, and the rows a source
wrote removed afterwards (the tests commit, so nothing rolls them back)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.models import Campaign, FactCoverage, PlatformCampaign
from config.celery import app
from config.crypto import encrypted
from connectors.models import Connection, Provider, Source
from connectors.tasks import connector_sync_task
from tests.processes import start_worker, stop


@contextmanager
def worker_on_own_queue(settings, log, env: dict[str, str]) -> Iterator[str]:
    """A worker whose tasks go to a queue of its own, ``env`` (the fakes' addresses and app settings)
    given to it and to this process's settings; the queue's name."""
    for name, value in env.items():
        setattr(settings, name, value)
    queue = f"pouls-test-{uuid.uuid4().hex[:10]}"
    process = start_worker(queue, log, env={"CELERY_TASK_DEFAULT_QUEUE": queue, **env})
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        yield queue
    finally:
        app.conf.task_default_queue = previous
        stop(process)


def agency_grant(agency, provider: str, tokens, *, label: str, scopes: str, lifetime: timedelta, refresh: bool = True):
    """A connection of ``agency`` whose tokens (stored encrypted) the fake's ``tokens`` book issued, its
    access token valid for ``lifetime``; without a refresh token when ``refresh`` is false (Meta)."""
    access, refresh_token = tokens.issue()
    return Connection.objects.create(
        agency=agency,
        provider=provider,
        account_label=label,
        access_token=encrypted(access),
        refresh_token=encrypted(refresh_token) if refresh else "",
        expires_at=timezone.now() + lifetime,
        scopes=scopes,
    )


def google_grant(agency, tokens):
    """The agency's Google grant as the Google tests' fakes know it: analytics read, valid an hour."""
    return agency_grant(
        agency,
        Provider.GOOGLE,
        tokens,
        label="agency@example.test",
        scopes="https://www.googleapis.com/auth/analytics.readonly",
        lifetime=timedelta(hours=1),
    )


@contextmanager
def rows_removed_after(client, connection: Connection, facts: dict) -> Iterator[None]:
    """When the block ends: ``facts`` (fact model: the ``source`` values to remove) deleted in ``client``,
    with the platform campaigns, coverage and campaigns those sources created, then ``connection``."""
    sources = {value for values in facts.values() for value in values}
    with tenant_context(client):
        campaigns_before = set(Campaign.objects.values_list("pk", flat=True))
    try:
        yield
    finally:
        with tenant_context(client):
            for model, values in facts.items():
                model.objects.filter(source__in=values).delete()
            PlatformCampaign.objects.filter(source__in=sources).delete()
            FactCoverage.objects.filter(source__in=sources).delete()
            Campaign.objects.exclude(pk__in=campaigns_before).delete()
        connection.delete()


def sync_in_worker(source: Source, queue: str) -> dict:
    """``connectors.sync`` of ``source`` run by the worker on ``queue``; its result."""
    with tenant_context(source.client):
        return connector_sync_task.apply_async(kwargs={"source_id": source.pk}, queue=queue).get(timeout=180)
