"""Uploaded imports run as Celery jobs whose progress the admin and the API show."""

from __future__ import annotations

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from campaigns.imports.runner import ImportRejected, import_check, import_write
from config.errors import DomainError


def import_job_create(*, kind: str, data: bytes, filename: str, partial: bool, by=None, queue: bool = True):
    """Store the upload and (unless ``queue`` is False: an admin preview) send it to a worker after commit."""
    from campaigns.imports.runner import import_kinds
    from campaigns.models import ImportJob

    if kind not in import_kinds():
        raise DomainError(f"Unknown kind '{kind}' (one of {', '.join(import_kinds())}).", field="kind")
    if not data:
        raise DomainError("The file is empty.", field="file")
    job = ImportJob.objects.create(
        kind=kind, data=data, filename=filename[:200], partial=partial, created_by_id=getattr(by, "pk", None),
        status=ImportJob.Status.QUEUED if queue else ImportJob.Status.DRAFT,
    )  # fmt: skip
    if queue:
        import_job_queue(job=job)
    return job


def import_job_queue(*, job) -> None:
    from campaigns.models import ImportJob

    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.QUEUED)
    transaction.on_commit(lambda: import_job_task.delay(job.pk))


def import_job_run(*, job_id: int) -> None:
    """Run a queued job; safe to call twice (a finished job is left alone; the import is idempotent)."""
    from campaigns.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status in ImportJob.FINISHED:
        return
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.RUNNING, started_at=timezone.now())

    def progress(phase: str, done: int, total: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(phase=phase, done=done, total=total)

    try:
        checked = import_check(kind=job.kind, data=bytes(job.data), progress=progress)
        result = import_write(checked, partial=job.partial, progress=progress)
    except ImportRejected as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.REJECTED, errors=exc.errors, finished_at=timezone.now(), rejected_count=exc.total
        )
        return
    except DomainError as exc:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportJob.Status.REJECTED, errors=[exc.message], finished_at=timezone.now()
        )
        return
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.DONE, result=result.as_dict(), errors=result.errors[:100],
        rejected_count=len(result.errors), rejected_csv=result.rejected_csv, finished_at=timezone.now(),
        done=result.rows, total=result.rows,
    )  # fmt: skip


@shared_task(name="campaigns.import_job_run", acks_late=True, autoretry_for=(OSError,), max_retries=3,
             retry_backoff=True)  # fmt: skip
def import_job_task(job_id: int) -> None:
    import_job_run(job_id=job_id)
