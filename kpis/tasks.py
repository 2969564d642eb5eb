"""Background jobs of the KPIs: one refresh task per client, fanned out by one periodic task."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from celery import shared_task
from django.db import InterfaceError, OperationalError, connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name

from config.enqueue import task_send
from kpis.models import RefreshRun
from tenants.fanout import each_active_client
from tenants.zones import client_zone

NIGHTLY_AT = time(3, 0)  # local time of the full refresh


class RefreshBusy(Exception):
    """Another refresh of the same client is running: try again shortly."""


@shared_task(
    bind=True,
    name="kpis.snapshot_refresh",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OperationalError, InterfaceError, RefreshBusy),
    max_retries=5,
    retry_backoff=10,
    retry_backoff_max=120,
)
def kpi_snapshot_refresh_task(self, full: bool = False) -> dict:
    """Refresh the snapshots of the client whose schema the task carries. Idempotent: running it
    twice changes nothing the second time. Refuses to run outside a client (fail closed)."""
    from kpis.refresh import kpi_snapshot_refresh

    if connection.schema_name == get_public_schema_name():
        raise ValueError("kpis.snapshot_refresh runs in a client's schema; send it inside tenant_context.")
    result = kpi_snapshot_refresh(full=full)
    if result.busy:
        raise RefreshBusy(connection.schema_name)
    return result.as_dict()


def nightly_due(*, zone: str, last_full_at: datetime | None, now: datetime) -> bool:
    """Whether a client's full refresh is due: none since the latest 03:00 of its local time."""
    local_now = now.astimezone(ZoneInfo(zone))
    day = local_now.date() if local_now.time() >= NIGHTLY_AT else local_now.date() - timedelta(days=1)
    latest = datetime.combine(day, NIGHTLY_AT, tzinfo=ZoneInfo(zone))
    return last_full_at is None or last_full_at < latest


def last_full_refresh_at() -> datetime | None:
    """When the current client's last full refresh ran (its as-of), from its own refresh log. The log
    keeps the last ``KEEP_RUNS`` runs (days of ticks); should the last full one have dropped out,
    a full refresh is due, which is the safe side."""
    runs = RefreshRun.objects.filter(mode=RefreshRun.Mode.FULL).order_by("-as_of")
    return runs.values_list("as_of", flat=True).first()


@shared_task(name="kpis.refresh_due", acks_late=True)
def kpi_refresh_due() -> dict:
    """Every 15 minutes (beat, public schema): send each active client its refresh task, the full one
    when its nightly 03:00 (client time) has passed since its last full refresh."""
    now = timezone.now()

    def send(client) -> str:
        # In the client's schema (each_active_client enters it): one indexed read of its refresh log.
        full = nightly_due(zone=client_zone(client).key, last_full_at=last_full_refresh_at(), now=now)
        if not task_send(kpi_snapshot_refresh_task, kwargs={"full": full}, expires=None if full else 14 * 60):
            return "failed"
        return "full" if full else "incremental"

    # stop once the broker is down: every client's dirty days (and nightly due) wait for the next tick
    outcomes = each_active_client(send, stop=lambda outcome: outcome == "failed")
    return {kind: outcomes.count(kind) for kind in ("incremental", "full", "failed")}
