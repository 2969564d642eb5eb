"""A report's PDF rendered for a person now (the page's Preview, the API's ``preview/``), bounded.

Chromium runs inside the web request here, for up to ``POULS_PDF_TIMEOUT_SECONDS`` and a few hundred
megabytes of memory, so a person (or a script with a token) looping on Preview must not be able to
start one chromium per request:

- **Cached** per (client, schedule, period, schedule's ``updated_at``) for ``CACHE_SECONDS``: reopening
  the same preview, or a double click, costs nothing; editing the schedule (language, sections) makes
  a new key, so a preview never shows settings older than the schedule's. Data imported meanwhile
  shows after at most five minutes, which is fine for a preview.
- **Bounded** by PostgreSQL advisory locks (they hold across every web process and die with a killed
  one's connection): one preview rendering at a time per client, and at most ``SITE_SLOTS`` across
  the site. A request that finds no free slot is told to try again (``PreviewBusy``, a 503) at once
  rather than queueing behind chromium and holding a web worker.
"""

from __future__ import annotations

import contextlib
from datetime import date

from django.core.cache import cache
from django.db import connection

from dashboards.pdf import report_pdf
from reports.models import ReportSchedule

CACHE_SECONDS = 300
SITE_SLOTS = 2
# Advisory lock namespaces (the first of the two int4 keys): "PR" + 1, "PR" + 2.
CLIENT_LOCKS = 0x50520001
SITE_LOCKS = 0x50520002
RETRY_AFTER_SECONDS = 10


class PreviewBusy(RuntimeError):
    """Another preview of this client, or too many across the site, is rendering now."""


def _cache_key(schedule: ReportSchedule, start: date, end: date) -> str:
    # The cache's key function prefixes the client's schema (django_tenants.cache.make_key).
    return f"reports:preview:{schedule.pk}:{start:%Y%m%d}:{end:%Y%m%d}:{schedule.updated_at.timestamp()}"


def _try_lock(namespace: int, key: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", [namespace, key])
        return bool(cursor.fetchone()[0])


def _unlock(namespace: int, key: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", [namespace, key])


@contextlib.contextmanager
def _rendering_slot(client_id: int):
    """The client's one slot and one of the site's; ``PreviewBusy`` when either is taken."""
    if not _try_lock(CLIENT_LOCKS, client_id):
        raise PreviewBusy
    try:
        slot = next((n for n in range(SITE_SLOTS) if _try_lock(SITE_LOCKS, n)), None)
        if slot is None:
            raise PreviewBusy
        try:
            yield
        finally:
            _unlock(SITE_LOCKS, slot)
    finally:
        _unlock(CLIENT_LOCKS, client_id)


def preview_pdf(schedule: ReportSchedule, *, period_start: date, period_end: date) -> bytes:
    """The schedule's report of one period (current client), from the cache or rendered now. Raises
    ``PreviewBusy`` when no slot is free and ``dashboards.pdf.PdfRenderError`` when chromium fails."""
    key = _cache_key(schedule, period_start, period_end)
    content = cache.get(key)
    if content is not None:
        return content
    with _rendering_slot(connection.tenant.pk):
        content = report_pdf(
            period_start=period_start,
            period_end=period_end,
            language=schedule.language,
            sections=list(schedule.sections),
        )
    cache.set(key, content, CACHE_SECONDS)
    return content
