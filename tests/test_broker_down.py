"""A committed write never answers 500 when the broker is down. Pouls runs under gunicorn with its
broker and result store pointed at a closed port (kombu really fails to connect): an import upload,
a refresh request, a bulk move and the admin's import confirmation are answered as accepted, with
the pending state in the body, and their writes stand. Then, with the broker back and a real worker,
the periodic tasks finish the work: the import runs exactly once and the snapshots catch up."""

import re
import uuid
from datetime import timedelta

import pytest
import requests
from django.test import Client as DjangoClient
from django.utils import timezone
from django_tenants.utils import tenant_context
from knox.models import AuthToken

from campaigns.imports.jobs import import_job_task, import_jobs_sweep
from campaigns.models import ImportJob
from config.celery import app
from kpis.models import DirtyDay, RefreshRun, Snapshot
from kpis.refresh import kpi_snapshot_refresh
from kpis.tasks import kpi_refresh_due
from leads.models import Lead
from tests.processes import free_port, start_web, start_worker, stop, wait_for

pytestmark = pytest.mark.worker

DEAD_BROKER = {
    "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
    "CELERY_RESULT_BACKEND": "redis://127.0.0.1:1/1",
    "POULS_KPI_REFRESH_AFTER_WRITES": "true",
}
IMPORTED = "email,created_at\nswept-1@x.test,2026-11-20T10:00\nswept-2@x.test,2026-11-21T10:00\n"


@pytest.fixture(scope="module")
def web_without_broker(django_db_setup, tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("web") / "gunicorn.log"
    process = start_web(port, log, env=DEAD_BROKER)
    yield f"http://127.0.0.1:{port}", log
    stop(process)


@pytest.fixture
def alpha_before_the_outage(committed):
    """Two leads in alpha, refreshed (so what follows is an incremental story), and a manager's token."""
    with tenant_context(committed.alpha):
        ids = [
            Lead.objects.create(email=f"before-{i}@x.test", created_at=timezone.now() - timedelta(days=3)).pk
            for i in range(2)
        ]
        kpi_snapshot_refresh(full=True)
    _instance, token = AuthToken.objects.create(user=committed.manager_alpha)
    yield committed, ids, token
    with tenant_context(committed.alpha):
        ImportJob.objects.all().delete()


@pytest.fixture
def worker(tmp_path):
    """A worker on the real broker, on a queue of its own, which is also the default queue here and in
    the worker (the sweep's and the fan-out's sends go there)."""
    queue = f"pouls-test-{uuid.uuid4().hex[:10]}"
    env = {"CELERY_TASK_DEFAULT_QUEUE": queue, "POULS_KPI_REFRESH_AFTER_WRITES": "true"}
    process = start_worker(queue, tmp_path / "worker.log", env=env)
    previous = app.conf.task_default_queue
    app.conf.task_default_queue = queue
    yield queue
    app.conf.task_default_queue = previous
    stop(process)


def month_total(kpi: str) -> float:
    rows = Snapshot.objects.filter(period="month", kpi=kpi, dimension="").values_list("value", flat=True)
    return sum(v or 0 for v in rows)


def test_with_the_broker_down_writes_are_accepted_and_the_sweep_finishes_them(
    web_without_broker, alpha_before_the_outage, worker
):
    base, log = web_without_broker
    world, lead_ids, token = alpha_before_the_outage
    api = f"{base}/c/alpha/api/v1"
    auth = {"Authorization": f"Token {token}"}

    # when, with the broker unreachable, a manager uploads an import, asks for a full refresh and moves two leads
    upload = requests.post(
        f"{api}/imports/",
        headers=auth,
        data={"kind": "leads"},
        files={"file": ("leads.csv", IMPORTED.encode(), "text/csv")},
        timeout=30,
    )
    refresh = requests.post(f"{api}/kpis/refresh/", headers=auth, json={"full": True}, timeout=30)
    moved = requests.post(f"{api}/leads/bulk-move/", headers=auth, json={"lead_ids": lead_ids, "to": "mql"}, timeout=30)

    # then each is answered as accepted, in JSON, with what is still pending
    for response in (upload, refresh, moved):
        assert response.headers["Content-Type"] == "application/json", response.text[:300]
    assert upload.status_code == 202
    job = upload.json()
    assert {k: job[k] for k in ("status", "awaiting_queue", "kind")} == {
        "status": "queued",
        "awaiting_queue": True,
        "kind": "leads",
    }
    assert (refresh.status_code, refresh.json()) == (202, {"full": True, "awaiting_queue": True})
    assert moved.status_code == 200 and [lead["stage"] for lead in moved.json()] == ["mql", "mql"]
    # and the broker really failed (the web process logged it), while every write was committed
    assert "could not queue campaigns.import_job_run" in log.read_text()
    assert "could not queue kpis.snapshot_refresh" in log.read_text()
    with tenant_context(world.alpha):
        stored = ImportJob.objects.get(pk=job["id"])
        assert (stored.status, stored.sent_at, stored.awaiting_queue) == ("queued", None, True)
        assert set(Lead.objects.filter(pk__in=lead_ids).values_list("stage", flat=True)) == {"mql"}
        assert not Lead.objects.filter(email__startswith="swept-").exists()
        assert DirtyDay.objects.filter(source=None, day=None).exists()  # the full refresh asked for waits
        assert month_total("mqls") == 0
        before = RefreshRun.objects.order_by("-as_of").first()
    # and polling the job says the same
    polled = requests.get(f"{api}/imports/{job['id']}/", headers=auth, timeout=30).json()
    assert (polled["status"], polled["awaiting_queue"]) == ("queued", True)

    # when the broker is back (the worker reads it), beat's sweep comes
    import_jobs_sweep.apply_async(queue=worker).get(timeout=90)
    # then the job is imported, once
    with tenant_context(world.alpha):
        assert wait_for(lambda: ImportJob.objects.get(pk=job["id"]).status == "done")
        done = ImportJob.objects.get(pk=job["id"])
        assert (done.result["created"], done.result["rows"], done.awaiting_queue) == (2, 2, False)
        assert Lead.objects.filter(email__startswith="swept-").count() == 2
    # and a second message for the same job (a late original, another sweep) changes nothing
    with tenant_context(world.alpha):
        import_job_task.apply_async(args=[job["id"]], queue=worker).get(timeout=90)
    swept = import_jobs_sweep.apply_async(queue=worker).get(timeout=90)
    # (at most alpha's batch, which finds no job left queued)
    assert swept["tasks"] == swept["clients"] <= 1
    with tenant_context(world.alpha):
        again = ImportJob.objects.get(pk=job["id"])
        assert (again.status, again.finished_at, again.result["created"]) == ("done", done.finished_at, 2)
        assert Lead.objects.filter(email__startswith="swept-").count() == 2
    # and beat's refresh tick brings the snapshots up to date, in full as it was asked
    kpi_refresh_due.apply_async(queue=worker).get(timeout=90)
    with tenant_context(world.alpha):
        assert wait_for(lambda: month_total("leads") == 4 and month_total("mqls") == 2)
        assert wait_for(lambda: not DirtyDay.objects.exists())
        assert RefreshRun.objects.filter(mode="full", as_of__gt=before.as_of).exists()


def test_the_admin_confirms_an_import_with_the_broker_down(web_without_broker, committed, in_client):
    in_client(committed.alpha)  # the pages are served by gunicorn; the test reads alpha
    base, _log = web_without_broker
    browser = requests.Session()
    login = DjangoClient()
    login.force_login(committed.manager_alpha)
    browser.cookies.set("sessionid", login.cookies["sessionid"].value)
    admin = f"{base}/c/alpha/admin/campaigns/importjob"
    try:
        # given a file uploaded and previewed in the client admin (nothing queued yet)
        form = browser.get(f"{admin}/upload/", timeout=30)
        uploaded = browser.post(
            f"{admin}/upload/",
            data={"kind": "leads", "csrfmiddlewaretoken": _csrf(form.text)},
            files={"file": ("leads.csv", IMPORTED.encode(), "text/csv")},
            timeout=30,
        )
        assert uploaded.status_code == 200 and "/confirm/" in uploaded.text
        job = ImportJob.objects.get()
        assert job.status == "draft"
        # when the import is confirmed while the broker is unreachable
        page = browser.post(
            f"{admin}/{job.pk}/confirm/", data={"csrfmiddlewaretoken": _csrf(uploaded.text)}, timeout=30
        )
        # then the page says the import waits for the queue, and the job is kept, queued
        assert page.status_code == 200
        assert page.url.endswith(f"/importjob/{job.pk}/change/")
        assert re.search(r"The queue cannot be reached right now|file d’attente est injoignable", page.text)
        stored = ImportJob.objects.get(pk=job.pk)
        assert (stored.status, stored.awaiting_queue) == ("queued", True)
    finally:
        ImportJob.objects.all().delete()


def _csrf(html: str) -> str:
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
