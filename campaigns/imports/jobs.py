"""Uploaded imports run as Celery jobs whose progress the admin and the API show."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from celery import shared_task
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import get_public_schema_name

from campaigns.imports.runner import ImportRejected, import_check, import_write
from config.enqueue import Sending, task_send, task_send_on_commit
from config.errors import DomainError
from tenants.models import PendingWork, User
from tenants.pending import batch_task, each_client_of, mark_if, pending_send
from tenants.selectors import user_preferred_language

# The largest file an upload may hold (the admin form and the API alike).
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

# A job still queued this long after it was sent lost its message (or waits behind a long queue:
# sending it again is harmless, the run claims it).
RESEND_AFTER = timedelta(minutes=5)
# The sweep's mark (tenants.PendingWork): a client with a job left queued (campaigns 0015's trigger).
PENDING_KIND = PendingWork.Kind.IMPORTS
# A batch of clients' sweep runs within these (soft: the batch stops and marks the clients left; hard:
# the worker kills it), well within the 5 minutes between two ticks.
SWEEP_SOFT_TIME_LIMIT, SWEEP_TIME_LIMIT = 4 * 60, 5 * 60


def import_job_create(*, kind: str, data: bytes, filename: str, partial: bool, by=None, queue: bool = True):
    """Store the upload and (unless ``queue`` is False: an admin preview) send it to a worker after
    commit. With the queue down the job stays queued (``awaiting_queue``) for the periodic sweep."""
    from campaigns.imports.runner import import_kinds, unknown_kind
    from campaigns.models import ImportJob

    if kind not in import_kinds():
        raise unknown_kind(kind)
    if not data:
        raise DomainError(_("The file is empty."), field="file")
    if len(data) > MAX_UPLOAD_BYTES:
        raise DomainError(_("The file is larger than 50 MB."), field="file")
    job = ImportJob.objects.create(
        kind=kind,
        data=data,
        filename=filename[:200],
        partial=partial,
        created_by_id=getattr(by, "pk", None),
        language=translation.get_language() or "",
        status=ImportJob.Status.QUEUED if queue else ImportJob.Status.DRAFT,
    )
    if queue:
        import_job_queue(job=job)
    return job


def import_job_queue(*, job) -> Sending:
    """Mark ``job`` queued and send it to a worker once committed. Should the queue be down, the
    job's ``sent_at`` is emptied (on the row and on ``job``) and the sweep sends it later."""
    from campaigns.models import ImportJob

    sent_at = timezone.now()
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED, sent_at=sent_at)
    job.status, job.sent_at = ImportJob.Status.QUEUED, sent_at

    def unsent() -> None:
        ImportJob.objects.filter(pk=job.pk, sent_at=sent_at).update(sent_at=None)
        job.sent_at = None

    return task_send_on_commit(import_job_task, args=[job.pk], on_failure=unsent)


@contextmanager
def _job_claim(job_id: int) -> Iterator[bool]:
    """Whether this process may run the job: a PostgreSQL session lock per (schema, job), held for
    the run. A second message for the same job (the sweep's, a redelivery) finds it taken and
    leaves; a worker that dies releases it with its connection, so a redelivery can run the job."""
    key = f"pouls.import_job:{connection.schema_name}:{job_id}"
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(hashtextextended(%s, 0))", [key])
        claimed = cursor.fetchone()[0]
    try:
        yield claimed
    finally:
        if claimed:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(hashtextextended(%s, 0))", [key])
            except DatabaseError:
                pass  # the connection is gone, and the lock with it


def import_job_run(*, job_id: int) -> None:
    """Run a queued job once. Safe to call twice, or twice at the same time: a job being run elsewhere,
    finished, or still a draft is left alone; the rows and the ``done`` status commit together, so a
    job is never imported twice."""
    from campaigns.models import ImportJob

    with _job_claim(job_id) as claimed:
        job = ImportJob.objects.filter(pk=job_id).first() if claimed else None
        if job is None or job.status in (*ImportJob.FINISHED, ImportJob.Status.DRAFT):
            return
        ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now())
        _import_job_execute(job)


def _uploader_language(job) -> str | None:
    """The language the uploader reads: a worker has no request, and the rules' refusals
    (``campaigns.rules``) are worded in it, as in the admin's preview. None: the current language."""
    user = User.objects.filter(pk=job.created_by_id).first() if job.created_by_id else None
    return (user_preferred_language(user) or None) if user is not None else None


def _import_job_execute(job) -> None:
    # The language the upload was made in, so the errors read as the preview's did; older jobs: the uploader's.
    with translation.override(job.language or _uploader_language(job) or translation.get_language()):
        _import_job_write(job)


def _import_job_write(job) -> None:
    from campaigns.models import ImportJob

    def progress(phase: str, done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(phase=phase, done=done, total=total)

    try:
        checked = import_check(kind=job.kind, data=bytes(job.data), progress=progress)
        with transaction.atomic():
            result = import_write(checked, partial=job.partial, progress=progress)
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportJob.Status.DONE,
                result=result.as_dict(),
                errors=result.errors[:100],
                rejected_count=len(result.errors),
                rejected_csv=result.rejected_csv,
                finished_at=timezone.now(),
                done=result.rows,
                total=result.rows,
            )
    except ImportRejected as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.REJECTED, errors=exc.errors, finished_at=timezone.now(), rejected_count=exc.total
        )
    except DomainError as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.REJECTED, errors=[exc.message], finished_at=timezone.now()
        )


def import_jobs_resend(*, now: datetime | None = None) -> dict:
    """Send again the current client's jobs left queued: never taken by the queue (``sent_at`` empty)
    or sent more than ``RESEND_AFTER`` ago and not started. Each is claimed by a conditional update
    first, so two sweeps at once send it once. Stops at the first failure (the queue is down again)."""
    from campaigns.models import ImportJob

    now = now or timezone.now()
    waiting = ImportJob.objects.filter(status=ImportJob.Status.QUEUED).filter(
        Q(sent_at__isnull=True) | Q(sent_at__lt=now - RESEND_AFTER)
    )
    counts = {"sent": 0, "failed": 0}
    for pk, sent_at in waiting.order_by("pk").values_list("pk", "sent_at"):
        if not ImportJob.objects.filter(pk=pk, status=ImportJob.Status.QUEUED, sent_at=sent_at).update(sent_at=now):
            continue  # started, finished or sent by another sweep meanwhile
        if task_send(import_job_task, args=[pk]):
            counts["sent"] += 1
            continue
        ImportJob.objects.filter(pk=pk, sent_at=now).update(sent_at=None)
        counts["failed"] += 1
        break
    return counts


@shared_task(
    name="campaigns.import_job_run", acks_late=True, autoretry_for=(OSError,), max_retries=3, retry_backoff=True
)
def import_job_task(job_id: int) -> None:
    import_job_run(job_id=job_id)


@shared_task(name="campaigns.import_jobs_sweep", acks_late=True)
def import_jobs_sweep() -> dict:
    """Every 5 minutes (beat, public schema): take the ``imports`` marks (clients with a job left queued,
    set by campaigns 0015's trigger) and send one ``campaigns.import_jobs_sweep_batch`` per batch of them,
    which sends again the jobs left queued while the broker was down (or whose message was lost). Idle
    clients cost nothing. Sent from a client, that client's jobs."""
    if connection.schema_name != get_public_schema_name():
        return import_jobs_resend()
    return pending_send(PENDING_KIND, import_jobs_sweep_batch)


@batch_task("campaigns.import_jobs_sweep_batch", soft_time_limit=SWEEP_SOFT_TIME_LIMIT, time_limit=SWEEP_TIME_LIMIT)
def import_jobs_sweep_batch(client_ids: list[int]) -> dict:
    """In each of these clients' schemas, one after the other: send again its jobs left queued. A client
    whose send the broker refused is marked again with the rest of the batch, which stops (the next tick
    goes on); one still holding queued jobs (sent just now, not started yet) stays marked, for the next
    tick to send them again should their message be lost, as every tick did."""
    from campaigns.models import ImportJob

    def resend(client) -> dict:
        counts = import_jobs_resend()
        if not counts["failed"]:
            mark_if(client, PENDING_KIND, ImportJob.objects.filter(status=ImportJob.Status.QUEUED).exists())
        return counts

    done = each_client_of(client_ids, resend, kind=PENDING_KIND, stop=lambda counts: counts["failed"] > 0)
    counted = [counts for counts in done.values() if counts is not None]
    return {
        "clients": len(counted),
        **{key: sum(counts[key] for counts in counted) for key in ("sent", "failed")},
        "errors": len(done) - len(counted),
    }
