"""KPI refreshes in a real Celery worker: each lands in the schema of the client it was sent from,
runs twice to the same result, is fanned out to every client by the periodic task, and follows an
import once it commits."""

import uuid
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from config.celery import app
from kpis.models import RefreshRun, Snapshot
from kpis.tasks import kpi_refresh_due, kpi_snapshot_refresh_task
from leads.models import Lead
from portfolio.models import Pulse
from tests.processes import start_worker, stop, wait_for

pytestmark = pytest.mark.worker


@pytest.fixture
def worker(committed, tmp_path):
    """A worker whose default queue is its own (the fan-out and the after-import refresh send there),
    with refreshes after writes on, as in production."""
    queue = f"pouls-test-{uuid.uuid4().hex[:10]}"
    process = start_worker(
        queue,
        tmp_path / "worker.log",
        env={"CELERY_TASK_DEFAULT_QUEUE": queue, "POULS_KPI_REFRESH_AFTER_WRITES": "true"},
    )
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = previous
    stop(process)


def leads(client, count: int) -> None:
    with tenant_context(client):
        for i in range(count):
            Lead.objects.create(email=f"w{i}@{client.slug}.test", created_at=timezone.now() - timedelta(days=i))


def total_leads(client) -> float:
    with tenant_context(client):
        return sum(Snapshot.objects.filter(period="month", kpi="leads", dimension="").values_list("value", flat=True))


def test_a_refresh_lands_in_the_schema_it_was_sent_from_and_runs_twice_alike(committed, worker):
    # given 3 leads in alpha and 5 in beta
    leads(committed.alpha, 3)
    leads(committed.beta, 5)
    # when a refresh is sent from each client
    with tenant_context(committed.alpha):
        from_alpha = kpi_snapshot_refresh_task.apply_async(queue=worker)
    with tenant_context(committed.beta):
        from_beta = kpi_snapshot_refresh_task.apply_async(queue=worker)
    first_alpha, first_beta = from_alpha.get(timeout=90), from_beta.get(timeout=60)
    # then each client's snapshots count its own leads
    assert (first_alpha["mode"], first_beta["mode"]) == ("full", "full")
    assert total_leads(committed.alpha) == 3
    assert total_leads(committed.beta) == 5
    with tenant_context(committed.gamma):
        assert not Snapshot.objects.exists()
    # and running it again changes nothing
    with tenant_context(committed.alpha):
        again = kpi_snapshot_refresh_task.apply_async(queue=worker).get(timeout=60)
    assert (again["mode"], again["measures_changed"], again["snapshots_changed"]) == ("incremental", 0, 0)
    assert total_leads(committed.alpha) == 3


def test_the_periodic_task_sends_each_client_its_refresh(committed, worker):
    clients = [committed.alpha, committed.beta, committed.gamma]
    leads(committed.gamma, 2)
    kpi_refresh_due.apply_async(queue=worker).get(timeout=90)
    assert wait_for(lambda: Pulse.objects.filter(client__in=clients).count() == 3)
    assert total_leads(committed.gamma) == 2
    # every client got its first (full) refresh, so the next tick is incremental until 03:00 local (other
    # clients committed by earlier tests, such as the browser test's demo accounts, had theirs already: the
    # tick reads each client's refresh log, so theirs is incremental)
    assert all(p.last_full_at is not None for p in Pulse.objects.filter(client__in=clients))


def test_a_committed_import_is_followed_by_a_refresh(committed, in_client, worker):
    from campaigns.imports.jobs import import_job_create
    from campaigns.models import ImportJob

    in_client(committed.beta)
    csv = "email,created_at\nimported-1@x.test,2026-11-20T10:00\nimported-2@x.test,2026-11-21T10:00\n"
    try:
        # when an import is queued in beta (the worker runs it; its commit queues the refresh)
        import_job_create(kind="leads", data=csv.encode(), filename="leads.csv", partial=False)
        # then the snapshots show the imported leads without anyone asking
        assert wait_for(lambda: total_leads(committed.beta) == 2)
        assert RefreshRun.objects.exists()
        start = datetime(2026, 11, 1).date()
        assert Snapshot.objects.get(period="month", kpi="leads", dimension="", start=start).value == 2
    finally:
        ImportJob.objects.all().delete()
