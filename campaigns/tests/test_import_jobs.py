"""Uploads through the API and the admin become jobs that a worker runs, with visible progress."""

import functools
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.imports.jobs import import_job_run, import_job_task, import_jobs_resend
from campaigns.models import ImportJob, Offer, Spend
from campaigns.tests.factories import ImportJobFactory
from config.celery import app
from config.database import url_for_settings
from tests.processes import start_worker, stop

GOLDEN = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "kpi-example"
API = "/c/alpha/api/v1/imports/"


def upload(client, name: str, content: bytes, kind: str, **extra):
    return client.post(API, {"kind": kind, "file": SimpleUploadedFile(name, content, "text/csv"), **extra})


def test_an_api_upload_is_queued_after_commit_and_its_progress_is_visible(
    http_as, world, in_alpha, django_capture_on_commit_callbacks
):
    manager = http_as(world.manager_alpha)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(manager, "offers.csv", (GOLDEN / "offers.csv").read_bytes(), "offers")
    assert response.status_code == 202 and response.json()["status"] == "queued"
    assert len(callbacks) == 1  # the task is sent only once the upload is committed
    job_id = response.json()["id"]
    import_job_run(job_id=job_id)
    job = manager.get(f"{API}{job_id}/").json()
    assert (job["status"], job["percent"], job["result"]["created"]) == ("done", 100, 4)
    assert Offer.objects.count() == 4
    import_job_run(job_id=job_id)  # running a finished job again does nothing
    assert Offer.objects.count() == 4


def test_a_rejected_upload_lists_its_errors_and_writes_nothing(http_as, world, in_alpha):
    manager = http_as(world.manager_alpha)
    job_id = upload(manager, "spend.csv", b"date,campaign,amount\n2026-01-01,x,-1\n", "spend").json()["id"]
    import_job_run(job_id=job_id)
    assert not Spend.objects.exists()
    job = manager.get(f"{API}{job_id}/").json()
    # in the upload's language (alpha's manager reads the agency's French), the amount rule's words
    assert job["status"] == "rejected"
    assert job["errors"] == ["ligne 2, colonne amount\u00a0: Un montant ne peut pas être négatif."]


def test_a_partial_upload_returns_its_rejected_rows_as_csv(http_as, world, in_alpha):
    manager = http_as(world.manager_alpha)
    body = b"date,campaign,amount\n2026-01-01,x,1\n2026-01-02,x,oops\n"
    job_id = upload(manager, "spend.csv", body, "spend", partial="true").json()["id"]
    import_job_run(job_id=job_id)
    rejected = manager.get(f"{API}{job_id}/rejected/")
    assert rejected["Content-Type"].startswith("text/csv")
    assert (
        rejected.content.decode().splitlines()[1]
        == '2026-01-02,x,oops,"ligne 3, colonne amount\u00a0: «\u00a0oops\u00a0» n\'est pas un nombre"'
    )
    # and a client's viewer, whose product is the dashboard, reads none of it
    viewer = http_as(world.viewer_alpha)
    assert [viewer.get(path).status_code for path in (API, f"{API}{job_id}/", f"{API}{job_id}/rejected/")] == [403] * 3


def test_uploads_are_for_managers_and_validated(http_as, world):
    assert upload(http_as(world.sales_alpha), "o.csv", b"key,name\n", "offers").status_code == 403
    assert upload(http_as(world.viewer_alpha), "o.csv", b"key,name\n", "offers").status_code == 403
    bad_kind = upload(http_as(world.manager_alpha), "o.csv", b"key,name\n", "planets")
    assert bad_kind.status_code == 400 and "kind" in bad_kind.json()
    assert http_as(world.manager_alpha).get("/c/beta/api/v1/imports/").status_code == 404


def test_the_admin_previews_then_imports_on_confirmation(http_as, world, in_alpha):
    admin = http_as(world.manager_alpha)
    response = admin.post(
        "/c/alpha/admin/campaigns/importjob/upload/",
        {"kind": "offers", "file": SimpleUploadedFile("offers.csv", (GOLDEN / "offers.csv").read_bytes())},
    )
    assert response.status_code == 302
    preview = admin.get(response["Location"]).content.decode()
    assert "ebook-kpi" in preview and "/confirm/" in preview
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.DRAFT and not Offer.objects.exists()
    admin.post(f"/c/alpha/admin/campaigns/importjob/{job.pk}/confirm/")
    assert ImportJob.objects.get().status == ImportJob.Status.QUEUED
    import_job_run(job_id=job.pk)
    assert Offer.objects.count() == 4


@pytest.mark.worker
def test_a_real_worker_runs_the_job_in_its_clients_schema(committed, in_client, tmp_path):
    in_client(committed.beta)
    job = ImportJobFactory(data=(GOLDEN / "offers.csv").read_bytes())
    queue = f"pouls-test-{uuid.uuid4().hex[:10]}"
    worker = start_worker(queue, tmp_path / "worker.log")
    try:
        import_job_task.apply_async(args=[job.pk], queue=queue).get(timeout=90)  # sent from beta
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE
        assert Offer.objects.count() == 4
        with tenant_context(committed.alpha):
            assert not Offer.objects.exists()
    finally:
        stop(worker)
        Offer.objects.all().delete()
        ImportJob.objects.all().delete()


def test_a_job_being_run_elsewhere_is_left_alone(in_alpha):
    # given a queued job whose claim another process holds (a worker running it)
    job = ImportJobFactory(data=(GOLDEN / "offers.csv").read_bytes())
    key = f"pouls.import_job:{connection.schema_name}:{job.pk}"
    with psycopg.connect(url_for_settings(connection.settings_dict), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(hashtextextended(%s, 0))", [key])
        # when a second message for it arrives
        import_job_run(job_id=job.pk)
        # then it does nothing
        assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.QUEUED
        assert not Offer.objects.exists()
        other.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
    # and once the claim is released, the job runs
    import_job_run(job_id=job.pk)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE and Offer.objects.count() == 4


def test_the_sweep_sends_again_the_jobs_left_queued_and_only_those(in_alpha):
    # given jobs never taken by the queue, sent a moment ago, sent long ago, finished, and a draft
    now = timezone.now()
    data = (GOLDEN / "offers.csv").read_bytes()
    make = functools.partial(ImportJobFactory, data=data)
    unsent = make(sent_at=None)
    recent = make(sent_at=now - timedelta(minutes=1))
    lost = make(sent_at=now - timedelta(minutes=10))
    make(status=ImportJob.Status.DONE, sent_at=None)
    make(status=ImportJob.Status.DRAFT, sent_at=None)
    queue = f"pouls-test-{uuid.uuid4().hex[:10]}"
    previous, app.conf.task_default_queue = app.conf.task_default_queue, queue
    try:
        # when the sweep runs (twice: the second finds nothing left to send)
        first, second = import_jobs_resend(now=now), import_jobs_resend(now=now)
        # then the unsent and the lost ones were sent, and are marked so
        assert (first, second) == ({"sent": 2, "failed": 0}, {"sent": 0, "failed": 0})
        sent = dict(ImportJob.objects.values_list("pk", "sent_at"))
        assert (sent[unsent.pk], sent[lost.pk], sent[recent.pk]) == (now, now, recent.sent_at)
    finally:
        app.conf.task_default_queue = previous
        with app.connection_for_write() as broker:
            purged = broker.default_channel.queue_purge(queue)
    # and the broker holds exactly two messages
    assert purged == 2
