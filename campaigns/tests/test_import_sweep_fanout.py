"""Work goes where there is work: ``campaigns.import_jobs_sweep`` sends batches only for the clients
whose queued jobs marked them (campaigns 0015's trigger), in queries that do not grow with idle
clients; the batch sends each client's jobs left queued, marks a failing client again, and stops,
marking the rest, once the broker refuses."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from campaigns.imports import jobs
from campaigns.imports.jobs import PENDING_KIND, import_job_task, import_jobs_sweep, import_jobs_sweep_batch
from campaigns.models import ImportJob
from tenants.models import PendingWork
from tenants.services import client_create


@pytest.fixture
def sent(record_sends) -> list[tuple[str, str, list]]:
    """The tasks sent (name, schema sent from, arguments), nothing published."""
    return record_sends(import_jobs_sweep_batch, import_job_task)


def queued_job(client, **fields) -> int:
    """A job of ``client`` left queued while the broker was down (never sent)."""
    with tenant_context(client):
        values = {"kind": "offers", "data": b"key,name\nebook,Ebook\n", "filename": "o.csv", "sent_at": None}
        return ImportJob.objects.create(**(values | fields)).pk


def marked() -> list[int]:
    return sorted(PendingWork.objects.filter(kind=PENDING_KIND).values_list("client_id", flat=True))


def test_the_sweep_sends_a_batch_for_the_clients_with_queued_jobs_only(db, world, sent):
    PendingWork.objects.all().delete()
    queued_job(world.gamma)
    queued_job(world.beta, status=ImportJob.Status.DRAFT)  # a preview waiting for confirmation: no work
    assert marked() == [world.gamma.pk]
    connection.set_schema_to_public()
    assert import_jobs_sweep() == {"clients": 1, "tasks": 1}
    assert sent == [("campaigns.import_jobs_sweep_batch", "public", [[world.gamma.pk]])]
    assert marked() == []
    sent.clear()
    assert import_jobs_sweep() == {"clients": 0, "tasks": 0} and sent == []


def test_the_batch_sends_the_queued_jobs_and_marks_a_failing_client_again(db, world, sent, monkeypatch):
    job = queued_job(world.alpha)
    queued_job(world.beta)
    PendingWork.objects.all().delete()
    real = jobs.import_jobs_resend

    def fails_in_beta(**options):
        if connection.schema_name == world.beta.schema_name:
            raise RuntimeError("boom")
        return real(**options)

    monkeypatch.setattr(jobs, "import_jobs_resend", fails_in_beta)
    result = import_jobs_sweep_batch.apply(args=[[world.beta.pk, world.alpha.pk, world.gamma.pk]]).get()
    assert result == {"clients": 2, "sent": 1, "failed": 0, "errors": 1}
    assert sent == [("campaigns.import_job_run", world.alpha.schema_name, [job])]
    # beta (failed) marked again; alpha too: its job is queued until a worker takes it
    assert marked() == sorted([world.alpha.pk, world.beta.pk])
    with tenant_context(world.alpha):
        assert ImportJob.objects.get(pk=job).sent_at is not None


def test_broker_down_stops_the_batch_and_marks_the_clients_left(db, world, monkeypatch):
    job = queued_job(world.alpha)
    queued_job(world.beta)
    PendingWork.objects.all().delete()

    def refused(**_options):
        raise OSError("broker down")

    monkeypatch.setattr(import_job_task, "apply_async", refused)
    result = import_jobs_sweep_batch.apply(args=[[world.alpha.pk, world.beta.pk, world.gamma.pk]]).get()
    assert result == {"clients": 1, "sent": 0, "failed": 1, "errors": 0}
    assert marked() == sorted([world.alpha.pk, world.beta.pk, world.gamma.pk])
    with tenant_context(world.alpha):
        assert ImportJob.objects.get(pk=job).sent_at is None  # still waiting for the next sweep


def test_the_sweeps_queries_do_not_grow_with_idle_clients(db, world, sent):
    def measured() -> int:
        PendingWork.objects.all().delete()
        queued_job(world.alpha)
        connection.set_schema_to_public()
        sent.clear()
        with CaptureQueriesContext(connection) as queries:
            import_jobs_sweep()
        assert [args for _n, _s, args in sent] == [[[world.alpha.pk]]]
        return len(queries)

    for i in range(2):
        client_create(slug=f"idle-import-{i}", name=f"Idle {i}")
    two_idle = measured()
    for i in range(2, 6):
        client_create(slug=f"idle-import-{i}", name=f"Idle {i}")
    assert measured() == two_idle
