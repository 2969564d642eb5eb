"""One run of one source: read its days from the platform, write them chunk by chunk, record its health
(docs/connectors.md, "Syncing" and "Health").

``source_sync`` runs in a worker (``connectors.sync``). ``mode``: ``"backfill"`` reads the 13 months
again, ``"incremental"`` the last 7 days (and any gap), ``"auto"`` the backfill while it is not done
(the source is pending or has no day read yet), else the incremental. The source's health, in the
public schema, says how the last run went:

- success: ``last_run_at``, ``last_success_at``, ``last_rows_written``, ``last_error`` emptied, status ok;
- ``Transient`` (the platform stayed unavailable after the request retries): status failing, the error,
  and the exception goes on to the task, which retries later;
- ``SourceRefused`` (the account is not reachable, a currency that is not the client's, too many rows):
  status broken until someone fixes it; ``GrantRefused``: ``connectors.tokens`` has marked the connection
  and its sources broken, the source records why;
- every outcome sets ``next_run_at`` to the source's next daily slot.

A run holds a session advisory lock on its source for its duration (not a column): a second run of the
same source meanwhile returns at once ("busy"), and a worker that dies releases it with its connection,
so a source is never left claimed. Chunks already written by a run that fails stay written
(``first_day``/``last_day`` say how far it went) and the next run goes on from there.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tenants.utils import schema_context, tenant_context

from config.enqueue import task_send
from connectors.errors import ConnectorError, GrantRefused, SourceRefused, Transient
from connectors.models import ConnectionStatus, Source, SourceStatus
from connectors.providers import provider_for
from connectors.windows import next_run_at, run_chunks, source_yesterday
from connectors.writer import chunk_write, currency_check

log = logging.getLogger("pouls.connectors")

LOCK_CLASS = 1_701_700  # the first key of the sources' advisory locks (pg_try_advisory_lock(int, int))
ERROR_MAX = Source._meta.get_field("last_error").max_length
# A source chosen now whose backfill task is lost (broker down at the send, worker lost) is picked up by
# ``connectors.due`` after this long.
SEND_FALLBACK = timedelta(minutes=30)
MODES = ("auto", "backfill", "incremental")
TIME_LIMIT_MINUTES = 30  # connectors.tasks.SOFT_TIME_LIMIT, in the message


@dataclass
class SyncResult:
    source_id: int
    outcome: str  # ok, failing, broken, skipped, busy
    mode: str = ""
    chunks: int = 0
    rows_written: int = 0
    error: str = ""

    def as_dict(self) -> dict:
        return {
            "source": self.source_id,
            "outcome": self.outcome,
            "mode": self.mode,
            "chunks": self.chunks,
            "rows_written": self.rows_written,
            "error": self.error,
        }


@contextmanager
def _source_lock(source_id: int):
    with schema_context("public"), connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [LOCK_CLASS, source_id])
        held = cursor.fetchone()[0]
    try:
        yield held
    finally:
        if held:
            with schema_context("public"), connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [LOCK_CLASS, source_id])


def _health(source: Source, now: datetime, **fields) -> None:
    """Record the run's outcome on the source (public schema), and its next slot."""
    fields = {"last_run_at": now, "next_run_at": next_run_at(source, now), **fields}
    if "last_error" in fields:
        fields["last_error"] = fields["last_error"][:ERROR_MAX]
    with schema_context("public"):
        Source.objects.filter(pk=source.pk).update(**fields)


def _skipped(source: Source) -> bool:
    """A suspended agency's, an archived client's or a broken source or connection: nothing runs."""
    agency = source.client.agency
    return (
        not source.client.is_active
        or (agency is not None and agency.is_suspended)
        or source.status == SourceStatus.BROKEN
        or source.connection.status != ConnectionStatus.ACTIVE
    )


def _session(source: Source):
    from connectors import tokens  # written beside the providers; imported when a sync runs

    return tokens.session_for(source.connection)


def _run(source: Source, mode: str, now: datetime) -> SyncResult:
    backfill = mode == "backfill" or (
        mode == "auto" and (source.status == SourceStatus.PENDING or source.last_day is None)
    )
    plan = run_chunks(
        backfill=backfill,
        first_day=source.first_day,
        last_day=None if mode == "backfill" else source.last_day,
        yesterday=source_yesterday(source, now),
    )
    provider = provider_for(source.kind)
    result = SyncResult(source.pk, "ok", mode="backfill" if backfill else "incremental")
    session = _session(source)
    try:
        if source.fact == "spend":
            currency_check(source, provider.currency(session, source))
        with tenant_context(source.client):
            for chunk in plan:
                result.rows_written += chunk_write(
                    source, chunk, provider.rows(session, source, chunk.start, chunk.end)
                )
                result.chunks += 1
    finally:
        close = getattr(session, "close", None)
        if close is not None:
            close()
    return result


def source_sync(source_id: int, *, mode: str = "auto", now: datetime | None = None) -> SyncResult:
    """Sync one source (module docstring). Raises ``Transient`` (after recording it) for the task to
    retry; every other platform error is recorded and returned."""
    if mode not in MODES:
        raise ValueError(f"unknown sync mode {mode!r}")
    with schema_context("public"):
        source = Source.objects.select_related("client", "client__agency", "connection").filter(pk=source_id).first()
    if source is None or _skipped(source):
        return SyncResult(source_id, "skipped")
    now = now or timezone.now()
    agency = source.client.agency
    language = agency.default_language if agency is not None else settings.LANGUAGE_CODE
    with _source_lock(source.pk) as held, translation.override(language):
        if not held:
            return SyncResult(source_id, "busy")
        try:
            result = _run(source, mode, now)
        except Transient as error:
            _health(source, now, status=SourceStatus.FAILING, last_error=error.message)
            raise
        except (SourceRefused, GrantRefused) as error:
            _health(source, now, status=SourceStatus.BROKEN, last_error=error.message)
            return SyncResult(source_id, "broken", error=error.message)
        except ConnectorError as error:  # NotConfigured: the environment lacks the app's credentials
            _health(source, now, status=SourceStatus.FAILING, last_error=error.message)
            return SyncResult(source_id, "failing", error=error.message)
        except SoftTimeLimitExceeded:
            # the chunks committed stay; the next run goes on from the last one
            message = _("The sync took longer than %(minutes)d minutes; the next run goes on from where it stopped.")
            _health(source, now, status=SourceStatus.FAILING, last_error=message % {"minutes": TIME_LIMIT_MINUTES})
            return SyncResult(source_id, "failing", error=message)
        except Exception:
            log.exception("sync of source %s failed", source_id)
            _health(source, now, status=SourceStatus.FAILING, last_error=_("Unexpected error; Pouls was told."))
            raise
        _health(
            source,
            now,
            status=SourceStatus.OK,
            last_success_at=now,
            last_rows_written=result.rows_written,
            last_error="",
        )
        return result


def source_sync_now(source: Source, *, mode: str = "auto") -> None:
    """Sync ``source`` as soon as the current transaction commits: its backfill when it was just chosen
    (or restarted: pending, no day read), else ``mode``. Should the task be lost, ``connectors.due``
    sends one after ``SEND_FALLBACK``."""
    from connectors.tasks import connector_sync_task

    with schema_context("public"):
        Source.objects.filter(pk=source.pk).update(next_run_at=timezone.now() + SEND_FALLBACK)
    schema = source.client.schema_name
    transaction.on_commit(
        lambda: task_send(connector_sync_task, kwargs={"source_id": source.pk, "mode": mode}, schema=schema),
        robust=True,
    )
