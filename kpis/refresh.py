"""Keeping snapshots in step with the facts: ``kpi_snapshot_refresh``.

One refresh, in one transaction, for the current client:

1. **Day measures.** The days whose facts changed (``DirtyDay`` rows written by triggers, plus the
   facts whose timestamp passed since the last run) are recomputed from the facts, per source, with
   the engine's own queries (``kpis.measures``), and merged into ``Measure``: only rows whose
   numbers differ are written, and every written or removed row is recorded as *changed*.
2. **Week, month and quarter measures** of the changed day rows are re-summed from the day rows.
3. **Snapshots** of the changed points, of the next two periods (lead growth and the trend read the
   periods before), of periods that ended since the last run (no longer in progress) and of new
   periods' totals are derived by the formulas (``kpis.derivation``) and merged into ``Snapshot``.
4. **Statuses** of the rows with a target, and **anomaly flags** of the series windows whose values
   changed (``kpis.anomaly_scan``).

A full refresh does the same over everything (all facts, all points, every series) and removes
whatever it did not produce; it also runs when there is no earlier run or a change touched every
period (a catalogue key, a channel's paid flag, the client's time zone). Both give the same rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection, transaction
from django.utils import timezone

from campaigns.models import EmailSend
from kpis import anomaly_scan
from kpis.derivation import STEP, derivation_sql, shifted
from kpis.engine import PERIODS, client_zone, period_floor, period_shift, period_starts
from kpis.measures import LEAD_TIMESTAMP, SOURCES, days_to_windows, measures_sql, source_sql, windows_params
from kpis.models import DirtyDay, Measure, Objective, RefreshRun, Snapshot
from kpis.registry import DIMENSIONS, KPIS, REGISTRY
from kpis.selectors import amber_ratio
from kpis.status import row_status
from leads.models import Lead

ALL_DIMENSIONS: tuple[str | None, ...] = (None, *DIMENSIONS)
MEASURE_COLUMNS = "m0, m1, m2, m3, m4"
KEEP_RUNS = 500


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


@dataclass
class RefreshResult:
    mode: str
    as_of: datetime
    busy: bool = False
    dirty_days: int = 0
    measures_changed: int = 0
    snapshots_changed: int = 0
    anomalies_changed: int = 0
    duration_ms: int = 0
    timings: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"mode": self.mode, "as_of": self.as_of.isoformat(), "busy": self.busy,
                "dirty_days": self.dirty_days, "measures_changed": self.measures_changed,
                "snapshots_changed": self.snapshots_changed, "anomalies_changed": self.anomalies_changed,
                "duration_ms": self.duration_ms}  # fmt: skip


TEMP_TABLES = (
    "CREATE TEMP TABLE IF NOT EXISTS _kpi_scope (source text, lo date, hi date) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS _kpi_new (start date, source text, dimension text, key text, m0 numeric, "
    "m1 numeric, m2 numeric, m3 numeric, m4 numeric) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS _kpi_changed (period text, source text, start date, dimension text, key text) "
    "ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS _kpi_points (start date, dimension text, key text) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS _kpi_derived (period text, kpi text, start date, dimension text, key text, "
    "value float8, numerator float8, denominator float8, previous_value float8, change float8, target float8, "
    "is_partial boolean) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS _kpi_touched (period text, kpi text, start date, dimension text, key text) "
    "ON COMMIT DELETE ROWS",
)


def _prepare(cursor) -> None:
    for statement in TEMP_TABLES:
        cursor.execute(statement)
    # A refresh inside a caller's transaction (tests, the demo seed) may follow another one.
    cursor.execute("TRUNCATE _kpi_scope, _kpi_new, _kpi_changed, _kpi_points, _kpi_derived, _kpi_touched")


def _locked(cursor) -> bool:
    """One refresh at a time per client; a second one returns at once (``busy``)."""
    cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('pouls.kpi_refresh'), hashtext(current_schema()))")
    return cursor.fetchone()[0]


# --- 1. which days ---------------------------------------------------------------------------------


def _marks_consume(cursor) -> tuple[dict[str, set[date]], bool]:
    """The dirty days written since the last refresh, by source, and whether everything is dirty."""
    cursor.execute(f"DELETE FROM {_t(DirtyDay)} RETURNING source, day")
    days: dict[str, set[date]] = {}
    everything = False
    for source, day in cursor.fetchall():
        if source is None or day is None:
            everything = True
        else:
            days.setdefault(source, set()).add(day)
    return days, everything


def _visible_since(cursor, *, since: datetime, params: dict) -> dict[str, set[date]]:
    """Days of facts whose timestamp passed between the last run and now: written earlier with a
    future instant, they start to count now without any write to mark them."""
    local = "({} AT TIME ZONE %(tz)s)::date"
    values = ", ".join(f"('{s}', {local.format('l.' + c)})" for s, c in LEAD_TIMESTAMP.items())
    passed = " OR ".join(f"(l.{c} > %(since)s AND l.{c} <= %(as_of)s)" for c in LEAD_TIMESTAMP.values())
    cursor.execute(
        f"""SELECT DISTINCT m.source, m.day FROM {_t(Lead)} l CROSS JOIN LATERAL (VALUES {values}) m(source, day)
            WHERE m.day IS NOT NULL AND ({passed})
            UNION SELECT 'email', {local.format("f.sent_at")} FROM {_t(EmailSend)} f
            WHERE f.sent_at > %(since)s AND f.sent_at <= %(as_of)s""",
        {**params, "since": since},
    )
    days: dict[str, set[date]] = {}
    for source, day in cursor.fetchall():
        days.setdefault(source, set()).add(day)
    return days


# --- 2. measures -----------------------------------------------------------------------------------


def _merge(cursor, *, period: str, incoming: str, scope: str, params: dict) -> int:
    """Merge the rows of the CTE ``incoming`` (source, start, dimension, key, m0…m4) into the
    measures of ``period``: write those that differ, delete rows in ``scope`` (a condition on
    ``m``) that ``incoming`` lacks, and record every written or deleted point in ``_kpi_changed``."""
    measure = _t(Measure)
    cursor.execute(
        f"""WITH {incoming},
            up AS (
                INSERT INTO {measure} AS m (period, source, start, dimension, key, {MEASURE_COLUMNS})
                SELECT %(period)s, source, start, dimension, key, {MEASURE_COLUMNS} FROM incoming
                ON CONFLICT (period, source, dimension, key, start) DO UPDATE
                SET m0 = EXCLUDED.m0, m1 = EXCLUDED.m1, m2 = EXCLUDED.m2, m3 = EXCLUDED.m3, m4 = EXCLUDED.m4
                WHERE (m.m0, m.m1, m.m2, m.m3, m.m4) IS DISTINCT FROM
                      (EXCLUDED.m0, EXCLUDED.m1, EXCLUDED.m2, EXCLUDED.m3, EXCLUDED.m4)
                RETURNING m.source, m.start, m.dimension, m.key),
            gone AS (
                DELETE FROM {measure} m WHERE m.period = %(period)s AND ({scope}) AND NOT EXISTS (
                    SELECT 1 FROM incoming i WHERE i.source = m.source AND i.start = m.start
                    AND i.dimension = m.dimension AND i.key = m.key)
                RETURNING m.source, m.start, m.dimension, m.key)
            INSERT INTO _kpi_changed (period, source, start, dimension, key)
            SELECT %(period)s, * FROM up UNION ALL SELECT %(period)s, * FROM gone""",
        {**params, "period": period},
    )
    return cursor.rowcount


def _day_measures(cursor, *, days: dict[str, set[date]] | None, params: dict) -> int:
    """Recompute day measures from the facts: all of them (``days`` None) or those days per source."""
    if days is None:
        sql = measures_sql(kind="day", dimensions=ALL_DIMENSIONS, sources=tuple(SOURCES), windowed=False)
        cursor.execute(f"INSERT INTO _kpi_new {sql}", params)
        scope = "TRUE"
    else:
        for source, source_days in sorted(days.items()):
            windows = days_to_windows(source_days)
            cursor.execute(
                "INSERT INTO _kpi_scope SELECT %(source)s, lo, hi FROM unnest(%(win_lo)s::date[], %(win_hi)s::date[])"
                " w(lo, hi)",
                {"source": source, **windows_params(windows)},
            )
            sql = source_sql(source, kind="day", dimensions=ALL_DIMENSIONS, windowed=True)
            cursor.execute(f"INSERT INTO _kpi_new {sql}", {**params, **windows_params(windows)})
        scope = "EXISTS (SELECT 1 FROM _kpi_scope w WHERE w.source = m.source AND m.start >= w.lo AND m.start < w.hi)"
    incoming = f"incoming AS (SELECT source, start, dimension, key, {MEASURE_COLUMNS} FROM _kpi_new)"
    return _merge(cursor, period="day", incoming=incoming, scope=scope, params=params)


def _period_measures(cursor, *, kind: str, full: bool) -> int:
    """Re-sum the week, month or quarter measures from the day measures: all of them, or the
    points whose day rows changed."""
    measure = _t(Measure)
    sums = ", ".join(f"sum(d.m{i}) AS m{i}" for i in range(5))
    if full:
        incoming = f"""incoming AS (
            SELECT d.source, date_trunc('{kind}', d.start)::date AS start, d.dimension, d.key, {sums}
            FROM {measure} d WHERE d.period = 'day' GROUP BY 1, 2, 3, 4)"""
        scope = "TRUE"
    else:
        incoming = f"""affected AS (
            SELECT DISTINCT source, date_trunc('{kind}', start)::date AS start, dimension, key
            FROM _kpi_changed WHERE period = 'day'),
        incoming AS (
            SELECT a.source, a.start, a.dimension, a.key, {sums}
            FROM affected a JOIN {measure} d ON d.period = 'day' AND d.source = a.source
                AND d.dimension = a.dimension AND d.key = a.key
                AND d.start >= a.start AND d.start < {shifted("a.start", kind, 1)}
            GROUP BY 1, 2, 3, 4)"""
        scope = ("EXISTS (SELECT 1 FROM affected a WHERE a.source = m.source AND a.start = m.start "
                 "AND a.dimension = m.dimension AND a.key = m.key)")  # fmt: skip
    return _merge(cursor, period=kind, incoming=incoming, scope=scope, params={})


# --- 3. snapshots ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    """The periods of one kind a refresh works on."""

    kind: str
    first: date  # the first period with a measure (the start of every series)
    current: date  # the period of as-of
    since: date | None  # the period of the last run's as-of (incremental only)

    def between(self) -> list[date]:
        """Periods from the last run's to the current one, the current excluded (they ended since)."""
        if self.since is None:
            return []
        return period_starts(self.kind, self.since, period_shift(self.current, self.kind, -1))


def _points(cursor, span: _Span, *, full: bool) -> None:
    kind, measure = span.kind, _t(Measure)
    params = {"kind": kind, "first": span.first, "current": span.current}
    grid_from = span.first if full else max(span.first, span.since or span.first)
    totals = f"SELECT g::date, '', '' FROM generate_series(%(grid_from)s::date, %(current)s::date, {STEP[kind]}) g"
    if full:
        cursor.execute(
            f"""INSERT INTO _kpi_points
                SELECT start, dimension, key FROM {measure} WHERE period = %(kind)s AND start <= %(current)s
                UNION SELECT {shifted("start", kind, 1)}, dimension, key FROM {measure}
                    WHERE period = %(kind)s AND source = 'created' AND {shifted("start", kind, 1)} <= %(current)s
                UNION {totals}""",
            {**params, "grid_from": grid_from},
        )
        return
    nexts = ", ".join(f"({shifted('c.start', kind, n)})" for n in (0, 1, 2))
    cursor.execute(
        f"""INSERT INTO _kpi_points
            SELECT s.start, c.dimension, c.key FROM _kpi_changed c CROSS JOIN LATERAL (VALUES {nexts}) s(start)
                WHERE c.period = %(kind)s AND s.start <= %(current)s
            UNION SELECT start, dimension, key FROM {measure} WHERE period = %(kind)s AND start = ANY(%(ended)s)
            UNION {totals}""",
        {**params, "grid_from": grid_from, "ended": span.between()},
    )


def _derive(cursor, span: _Span, *, full: bool, params: dict) -> None:
    kind, measure = span.kind, _t(Measure)
    if full:
        measures = f"SELECT start, source, dimension, key, {MEASURE_COLUMNS} FROM {measure} WHERE period = %(kind)s"
    else:
        before = ", ".join(f"({shifted('p.start', kind, -n)})" for n in (0, 1, 2))
        measures = f"""SELECT m.start, m.source, m.dimension, m.key, {"m.m0, m.m1, m.m2, m.m3, m.m4"}
            FROM {measure} m JOIN (SELECT DISTINCT s.start, p.dimension, p.key FROM _kpi_points p
                                   CROSS JOIN LATERAL (VALUES {before}) s(start)) n
            ON m.period = %(kind)s AND m.start = n.start AND m.dimension = n.dimension AND m.key = n.key"""
    derivation = derivation_sql(kind=kind, kpis=list(REGISTRY), points="SELECT start, dimension, key FROM _kpi_points",
                                measures=measures, with_trend=True)  # fmt: skip
    cursor.execute(
        f"""INSERT INTO _kpi_derived
            SELECT %(kind)s, d.kpi, d.start, d.dimension, d.key, d.value::float8, d.numerator::float8,
                   d.denominator::float8, d.previous::float8, (d.value - d.previous)::float8, o.target::float8,
                   ({shifted("d.start", kind, 1)}::timestamp AT TIME ZONE %(tz)s) > %(as_of)s
            FROM ({derivation}) d
            LEFT JOIN {_t(Objective)} o ON o.kpi = d.kpi AND o.period = %(kind)s AND o.dimension = d.dimension
                AND o.key = d.key""",
        {**params, "kind": kind},
    )


def _write_snapshots(cursor, span: _Span, *, full: bool, params: dict) -> int:
    snapshot, kind = _t(Snapshot), span.kind
    if not full:
        # Rows whose value (or in-progress flag) changes: their series' anomaly windows move.
        cursor.execute(
            f"""INSERT INTO _kpi_touched SELECT d.period, d.kpi, d.start, d.dimension, d.key
                FROM _kpi_derived d LEFT JOIN {snapshot} s ON s.period = d.period AND s.kpi = d.kpi
                    AND s.dimension = d.dimension AND s.key = d.key AND s.start = d.start
                WHERE s.id IS NULL OR s.value IS DISTINCT FROM d.value OR s.is_partial IS DISTINCT FROM d.is_partial"""
        )
    scope = ("TRUE" if full else "EXISTS (SELECT 1 FROM _kpi_points p WHERE p.start = s.start "
             "AND p.dimension = s.dimension AND p.key = s.key)")  # fmt: skip
    compared = "value, numerator, denominator, previous_value, change, target, is_partial, definition_version"
    cursor.execute(
        f"""WITH up AS (
                INSERT INTO {snapshot} AS s (kpi, period, start, dimension, key, value, numerator, denominator,
                    previous_value, change, target, is_partial, as_of, definition_version, updated_at)
                SELECT d.kpi, d.period, d.start, d.dimension, d.key, d.value, d.numerator, d.denominator,
                    d.previous_value, d.change, d.target, d.is_partial, %(as_of)s, v.version, now()
                FROM _kpi_derived d JOIN unnest(%(kpi_keys)s::text[], %(kpi_versions)s::int[]) v(kpi, version)
                    ON v.kpi = d.kpi
                ON CONFLICT (period, kpi, dimension, key, start) DO UPDATE SET
                    {", ".join(f"{c} = EXCLUDED.{c}" for c in compared.split(", "))},
                    as_of = EXCLUDED.as_of, updated_at = EXCLUDED.updated_at
                WHERE ({", ".join(f"s.{c}" for c in compared.split(", "))}) IS DISTINCT FROM
                      ({", ".join(f"EXCLUDED.{c}" for c in compared.split(", "))})
                RETURNING 1),
            gone AS (
                DELETE FROM {snapshot} s WHERE s.period = %(kind)s AND ({scope}) AND NOT EXISTS (
                    SELECT 1 FROM _kpi_derived d WHERE d.kpi = s.kpi AND d.start = s.start
                    AND d.dimension = s.dimension AND d.key = s.key)
                RETURNING s.period, s.kpi, s.start, s.dimension, s.key),
            noted AS (INSERT INTO _kpi_touched SELECT * FROM gone WHERE NOT %(full)s)
            SELECT (SELECT count(*) FROM up) + (SELECT count(*) FROM gone)""",
        {
            **params,
            "kind": kind,
            "full": full,
            "kpi_keys": [k.key for k in REGISTRY],
            "kpi_versions": [k.version for k in REGISTRY],
        },  # fmt: skip
    )
    return cursor.fetchone()[0]


def _statuses(cursor, *, ratio) -> int:
    """Statuses of the derived rows that have a target (or had a status), in exact arithmetic."""
    snapshot = _t(Snapshot)
    cursor.execute(
        f"""SELECT s.id, s.kpi, s.value, s.numerator, s.denominator, s.target, s.status FROM {snapshot} s
            JOIN _kpi_derived d ON d.period = s.period AND d.kpi = s.kpi AND d.dimension = s.dimension
                AND d.key = s.key AND d.start = s.start
            WHERE s.target IS NOT NULL OR s.status IS NOT NULL"""
    )
    return snapshot_statuses_write(cursor, cursor.fetchall(), ratio=ratio)


def snapshot_statuses_write(cursor, rows, *, ratio) -> int:
    """Write the status of each ``(id, kpi, value, numerator, denominator, target, status)`` row
    whose stored status differs; returns how many changed."""
    ids, statuses = [], []
    for pk, kpi, value, numerator, denominator, target, stored in rows:
        status = row_status(kpi=KPIS[kpi], value=value, numerator=numerator, denominator=denominator, target=target,
                            amber_ratio=ratio)  # fmt: skip
        if status != stored:
            ids.append(pk)
            statuses.append(status)
    if ids:
        cursor.execute(
            f"UPDATE {_t(Snapshot)} s SET status = u.status, updated_at = now() "
            "FROM unnest(%(ids)s::bigint[], %(statuses)s::text[]) u(id, status) WHERE s.id = u.id",
            {"ids": ids, "statuses": statuses},
        )
    return len(ids)


# --- the service -----------------------------------------------------------------------------------


def _first_periods(cursor) -> dict[str, date | None]:
    cursor.execute(f"SELECT period, min(start) FROM {_t(Measure)} GROUP BY period")
    found = dict(cursor.fetchall())
    return {kind: found.get(kind) for kind in PERIODS}


def kpi_snapshot_refresh(*, full: bool = False, as_of: datetime | None = None) -> RefreshResult:
    """Bring the current client's measures and snapshots up to date with its facts, as of ``as_of``
    (default now): incrementally (only what changed since the last run) or in ``full``.

    Idempotent: a second run with nothing written in between changes no row. Returns what it did;
    ``busy`` when another refresh of this client holds the lock (nothing done).
    """
    zone = client_zone()
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
        if not _locked(cursor):
            result.busy = True
            return result
        _prepare(cursor)
        last = RefreshRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
        marks, everything = _marks_consume(cursor)
        full = full or everything or last is None
        result.mode = RefreshRun.Mode.FULL if full else RefreshRun.Mode.INCREMENTAL
        if full:
            result.measures_changed = _day_measures(cursor, days=None, params=params)
        else:
            for source, days in _visible_since(cursor, since=last, params=params).items():
                marks.setdefault(source, set()).update(days)
            result.dirty_days = len({day for days in marks.values() for day in days})
            result.measures_changed = _day_measures(cursor, days=marks, params=params) if marks else 0
        lap("day measures")
        for kind in PERIODS[1:]:
            result.measures_changed += _period_measures(cursor, kind=kind, full=full)
        lap("period measures")

        local_today = as_of.astimezone(ZoneInfo(zone)).date()
        since_day = None if full else last.astimezone(ZoneInfo(zone)).date()
        firsts = _first_periods(cursor)
        ratio = amber_ratio()
        spans = []
        for kind in PERIODS:
            if firsts[kind] is None:
                cursor.execute(f"DELETE FROM {_t(Snapshot)} WHERE period = %s", [kind])
                result.snapshots_changed += cursor.rowcount
                continue
            span = _Span(kind=kind, first=firsts[kind], current=period_floor(local_today, kind),
                         since=None if since_day is None else period_floor(since_day, kind))  # fmt: skip
            spans.append(span)
            cursor.execute("TRUNCATE _kpi_points, _kpi_derived")
            _points(cursor, span, full=full)
            _derive(cursor, span, full=full, params=params)
            result.snapshots_changed += _write_snapshots(cursor, span, full=full, params=params)
            result.snapshots_changed += _statuses(cursor, ratio=ratio)
        lap("snapshots")
        for span in spans:
            result.anomalies_changed += anomaly_scan.anomalies_refresh(
                cursor, kind=span.kind, first=span.first, current=span.current, full=full
            )
        lap("anomalies")

        result.duration_ms = int((time.monotonic() - clock) * 1000)
        RefreshRun.objects.create(
            mode=result.mode, as_of=as_of, started_at=started_at, duration_ms=result.duration_ms,
            dirty_days=result.dirty_days, measures_changed=result.measures_changed,
            snapshots_changed=result.snapshots_changed, anomalies_changed=result.anomalies_changed,
        )  # fmt: skip
        stale = RefreshRun.objects.order_by("-as_of").values_list("pk", flat=True)[KEEP_RUNS : KEEP_RUNS + 1]
        if stale:
            RefreshRun.objects.filter(as_of__lte=RefreshRun.objects.get(pk=stale[0]).as_of).delete()
        from portfolio.services import headline_publish

        headline_publish(as_of=as_of, full_refresh=full)
        lap("publish")
    return result
