"""The refresh service, ``kpi_snapshot_refresh``: the steps of kpis.refresh in order, in one
transaction under the client's refresh lock, its record in ``RefreshRun`` and the news that
snapshots changed (``config.events.snapshots_refreshed``)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from config.events import snapshots_refreshed
from kpis.measures import current_zone_name
from kpis.models import Measure, RefreshRun, Snapshot
from kpis.periods import PERIODS, period_floor, period_index
from kpis.refresh.changes import marks_consume, visible_since
from kpis.refresh.lock import refresh_lock
from kpis.refresh.rollups import day_measures, period_measures
from kpis.refresh.snapshots import snapshots_refresh
from kpis.refresh.statuses import snapshot_targets_sync
from kpis.refresh.temp_tables import temp_tables_prepare
from kpis.refresh.windows import Span
from kpis.selectors import amber_ratio
from kpis.sql import quoted_table

KEEP_RUNS = 500


@dataclass
class RefreshResult:
    """What one refresh did (``timings``: seconds per step, for the benchmarks)."""

    mode: str
    as_of: datetime
    busy: bool = False
    dirty_days: int = 0
    measures_changed: int = 0
    snapshots_changed: int = 0
    anomalies_flagged: int = 0
    duration_ms: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "mode": str(self.mode),
            "as_of": self.as_of.isoformat(),
            "busy": self.busy,
            "dirty_days": self.dirty_days,
            "measures_changed": self.measures_changed,
            "snapshots_changed": self.snapshots_changed,
            "anomalies_flagged": self.anomalies_flagged,
            "duration_ms": self.duration_ms,
        }


def _first_periods(cursor) -> dict[str, date | None]:
    """The first period of each kind with any fact (every fact has a total row)."""
    cursor.execute(
        f"SELECT period, min(start) FROM {quoted_table(Measure)} "
        "WHERE dimension = '' AND key = '' AND period = ANY(%s) GROUP BY period",
        [list(PERIODS)],
    )
    found = dict(cursor.fetchall())
    return {kind: found.get(kind) for kind in PERIODS}


def kpi_snapshot_refresh(*, full: bool = False, as_of: datetime | None = None) -> RefreshResult:
    """Bring the current client's measures and snapshots up to date with its facts, as of ``as_of``
    (default now): incrementally (only what changed since the last run) or in ``full``.

    Idempotent: a second run with nothing written in between changes no row. Returns what it did;
    ``busy`` when another refresh of this client holds the lock (nothing done).
    """
    zone = current_zone_name()
    clock = time.monotonic()
    started_at = timezone.now()
    as_of = as_of or started_at
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime.")
    result = RefreshResult(mode=RefreshRun.Mode.FULL if full else RefreshRun.Mode.INCREMENTAL, as_of=as_of)
    params = {"tz": zone, "as_of": as_of}

    def lap(name: str) -> None:
        result.timings[name] = round(time.monotonic() - clock - sum(result.timings.values()), 3)

    with transaction.atomic(), connection.cursor() as cursor:
        if not refresh_lock(cursor, wait=False):
            result.busy = True
            return result
        temp_tables_prepare(cursor)
        last = RefreshRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
        marks, everything, retarget = marks_consume(cursor)
        full = full or everything or last is None
        result.mode = RefreshRun.Mode.FULL if full else RefreshRun.Mode.INCREMENTAL
        if full:
            result.measures_changed = day_measures(cursor, days=None, params=params)
        else:
            for source, days in visible_since(cursor, since=last, params=params).items():
                marks.setdefault(source, set()).update(days)
            result.dirty_days = len({day for days in marks.values() for day in days})
            result.measures_changed = day_measures(cursor, days=marks, params=params) if marks else 0
        lap("day measures")
        for kind in PERIODS[1:]:
            result.measures_changed += period_measures(cursor, kind=kind, full=full)
        lap("period measures")

        local_today = as_of.astimezone(ZoneInfo(zone)).date()
        since_day = None if full else last.astimezone(ZoneInfo(zone)).date()
        firsts = _first_periods(cursor)
        ratio = amber_ratio()
        for kind in PERIODS:
            if firsts[kind] is None:
                cursor.execute(f"DELETE FROM {quoted_table(Snapshot)} WHERE period = %s", [kind])
                result.snapshots_changed += cursor.rowcount
                continue
            first = firsts[kind]
            span = Span(
                kind=kind,
                first=first,
                current=period_index(kind, first, period_floor(local_today, kind)),
                since=None if since_day is None else max(0, period_index(kind, first, period_floor(since_day, kind))),
            )
            changed, flagged = snapshots_refresh(cursor, span, full=full, params=params, ratio=ratio)
            result.snapshots_changed += changed
            result.anomalies_flagged += flagged
            lap(f"snapshots {kind}")
        if retarget:
            result.snapshots_changed += snapshot_targets_sync(cursor, ratio=ratio)

        result.duration_ms = int((time.monotonic() - clock) * 1000)
        RefreshRun.objects.create(
            mode=result.mode,
            as_of=as_of,
            started_at=started_at,
            duration_ms=result.duration_ms,
            dirty_days=result.dirty_days,
            measures_changed=result.measures_changed,
            snapshots_changed=result.snapshots_changed,
            anomalies_flagged=result.anomalies_flagged,
        )
        stale = RefreshRun.objects.order_by("-as_of").values_list("as_of", flat=True)[KEEP_RUNS : KEEP_RUNS + 1]
        if stale:
            RefreshRun.objects.filter(as_of__lte=stale[0]).delete()
        snapshots_refreshed.send(sender=kpi_snapshot_refresh, as_of=as_of, full_refresh=full)
        lap("publish")
    return result
