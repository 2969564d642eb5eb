"""Keeping snapshots in step with the facts: ``kpi_snapshot_refresh``.

One refresh, in one transaction, for the current client:

1. **Day measures.** The days whose facts changed (``DirtyDay`` rows written by triggers, plus the
   facts whose timestamp passed since the last run) are recomputed from the facts, per source, with
   the engine's own queries (``kpis.measures``) and merged into ``Measure``: only rows whose numbers
   differ are written, and every written or removed row is recorded as *changed*.
2. **Week, month and quarter measures** of the changed day rows are re-summed from the day rows.
3. **Snapshots.** For each period kind, the series windows that changed (a changed period and the 8
   after it, which read it as their previous period or anomaly baseline), the periods that ended
   since the last run (no longer in progress) and the totals of new periods are laid out on grids
   with 10 periods of history (``kpis.grid``); every KPI, its trend, status and anomaly flag is
   derived there and the rows are merged into ``Snapshot`` (written only where they differ).

A full refresh does the same over everything (all facts, the windows around every period that
holds data) and removes whatever it did not produce; it also runs when there is no earlier run or a change touched
every period (a catalogue key, a channel's paid flag, the client's time zone). Both give the same
rows: ``kpis/tests/test_refresh.py`` checks an incremental run against a full one after each kind
of write.

Work follows the periods that hold data, never the span between the oldest and the newest fact: a
total row exists for a period with data, the 8 after it and the current period (a keyed row only
where its key has data, as before), and grids are cut to at most ``GRID_CELLS`` cells. A client with
one fact in 2000 and the rest in 2026 refreshes like one with its 2026 facts only (0.50 s and 7 MiB
against 0.44 s and 7 MiB with 100 keyword series; 9.4 s and 351 MiB when every series spanned from
2000: ``bench/refresh_span.py``).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

import numpy as np
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import EmailSend
from config.events import snapshots_refreshed
from kpis import pgcopy
from kpis.engine import client_zone
from kpis.grid import Grid, Segment, kpi_rows_by_kpi
from kpis.measures import LEAD_TIMESTAMP, SOURCES, days_to_windows, measures_sql, source_sql, windows_params
from kpis.models import Direction, DirtyDay, Measure, Objective, PeriodKind, RefreshRun, Snapshot, Status
from kpis.periods import PERIODS, period_floor, period_index, period_index_sql, period_shift
from kpis.registry import DIMENSIONS, KPIS, REGISTRY
from kpis.selectors import amber_ratio
from kpis.status import row_status
from leads.models import Lead

ALL_DIMENSIONS: tuple[str | None, ...] = (None, *DIMENSIONS)
MEASURE_COLUMNS = "m0, m1, m2, m3, m4"
# A changed period is re-decided with the 8 after it (their previous value and anomaly baseline read
# it); a window carries 10 periods of history (8 baseline values, whose lead growth reads one more).
AFTER = 8
HISTORY = 10
KEEP_RUNS = 500
# A DirtyDay source (no day) that asks the next refresh to re-apply every target and status.
TARGETS_MARK = "targets"
# Rows written above which a table's planner statistics are refreshed before the next statement
# reads it (a first refresh fills empty tables: without statistics the planner picks nested loops).
ANALYZE_AFTER = 5_000
COPY_BATCH = 200_000  # derived rows sent per COPY (bounds the memory of a full refresh)
GRID_CELLS = 500_000  # (series window × period) cells per grid: about 100 MB of measures and KPI arrays


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


_C = 'text COLLATE "C"'  # keys compare byte-wise, as in the tables (kpis.models)
TEMP_TABLES = (
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_scope (source {_C}, lo date, hi date) ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_new (start date, source {_C}, dimension {_C}, key {_C}, m0 numeric, "
    "m1 numeric, m2 numeric, m3 numeric, m4 numeric, n_id bigint GENERATED ALWAYS AS IDENTITY) ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_affected (source {_C}, start date, dimension {_C}, key {_C}) "
    "ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_changed (period {_C}, source {_C}, start date, dimension {_C}, key {_C}) "
    "ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_ranges (dimension {_C}, key {_C}, lo date, hi date) ON COMMIT DELETE ROWS",
    f"CREATE TEMP TABLE IF NOT EXISTS _kpi_segments (seg int, dimension {_C}, key {_C}) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS _kpi_derived (seg int, kpi_code smallint, start date, value float8, "
    "numerator float8, denominator float8, previous_value float8, change float8, target float8, status smallint, "
    "anomaly smallint, baseline_median float8, baseline_low float8, baseline_high float8, is_partial boolean, "
    "definition_version smallint, n_id bigint GENERATED ALWAYS AS IDENTITY) ON COMMIT DELETE ROWS",
    "CREATE TEMP TABLE IF NOT EXISTS _kpi_diff (n_id bigint, t_ref tid) ON COMMIT DELETE ROWS",
)
TEMP_NAMES = "_kpi_scope, _kpi_new, _kpi_affected, _kpi_changed, _kpi_ranges, _kpi_segments, _kpi_derived, _kpi_diff"
# The rows a refresh derives, as sent by binary COPY (kpis.pgcopy): codes instead of text.
DERIVED_COPY = [
    ("seg", "int4"),
    ("kpi_code", "int2"),
    ("start", "date"),
    ("value", "float8"),
    ("numerator", "float8"),
    ("denominator", "float8"),
    ("previous_value", "float8"),
    ("change", "float8"),
    ("target", "float8"),
    ("status", "int2"),
    ("anomaly", "int2"),
    ("baseline_median", "float8"),
    ("baseline_low", "float8"),
    ("baseline_high", "float8"),
    ("is_partial", "bool"),
    ("definition_version", "int2"),
]
FLOAT_COLUMNS = [name for name, kind in DERIVED_COPY if kind == "float8"]
STATUSES = Status.values  # codes 1, 2, 3 (0: none): green, amber, red
DIRECTIONS = Direction.values  # codes 1, 2 (0: none): up, down
KPI_CODES = {kpi.key: code for code, kpi in enumerate(REGISTRY, 1)}
# The derived rows with their keys and NULLs, as the snapshots hold them.
DERIVED_ROWS = f"""(
    SELECT d.n_id, k.kpi COLLATE "C" AS kpi, s.dimension, s.key, d.start,
        {", ".join(f"NULLIF(d.{c}, 'NaN') AS {c}" for c in FLOAT_COLUMNS)},
        (ARRAY{STATUSES})[NULLIF(d.status, 0)] AS status, (ARRAY{DIRECTIONS})[NULLIF(d.anomaly, 0)] AS anomaly,
        d.is_partial, d.definition_version
    FROM _kpi_derived d JOIN _kpi_segments s ON s.seg = d.seg
    JOIN unnest(ARRAY{list(KPI_CODES)}) WITH ORDINALITY k(kpi, code) ON k.code = d.kpi_code)"""
DECIDED = [name for name, _kind in DERIVED_COPY if name not in ("seg", "kpi_code", "start")]
KEYS = ("kpi", "dimension", "key", "start")
NEW_COLUMNS = "start, source, dimension, key, m0, m1, m2, m3, m4"


def _prepare(cursor) -> None:
    cursor.execute(
        "; ".join(
            [
                *TEMP_TABLES,
                # A refresh inside a caller's transaction (tests, the demo seed) may follow another one.
                f"TRUNCATE {TEMP_NAMES} RESTART IDENTITY",
                # Group and hash hundreds of thousands of rows in memory, not on disk; no JIT compilation
                # (it costs more than it saves on statements that run once).
                "SET LOCAL work_mem = '256MB'",
                "SET LOCAL jit = off",
                # Hash joins, not sorts: merging hundreds of thousands of rows on four text keys by sorting
                # is several times slower (nested loops stay available for the small incremental sets).
                "SET LOCAL enable_mergejoin = off",
            ]
        )
    )


def _analyze(cursor, table: str, written: int) -> None:
    """Refresh the planner's statistics of ``table``: temp tables never get any on their own (a
    small sample is plenty for them), and the real ones go stale within a refresh after big writes."""
    if table.startswith("_kpi"):
        cursor.execute(f"SET LOCAL default_statistics_target = 10; ANALYZE {table}; RESET default_statistics_target")
    elif written >= ANALYZE_AFTER:
        cursor.execute(f"ANALYZE {table}")


def refresh_lock(cursor, *, wait: bool) -> bool:
    """The current client's refresh lock, until the transaction ends: one refresh at a time, and
    no write to snapshots from elsewhere (objectives, settings) during a refresh (whose merges
    address rows by their physical place): those try it and, when it is taken, leave a
    ``TARGETS_MARK`` for the next refresh instead of waiting. Without ``wait``, False when taken."""
    key = "hashtext('pouls.kpi_refresh'), hashtext(current_schema())"
    if wait:
        cursor.execute(f"SELECT pg_advisory_xact_lock({key})")
        return True
    cursor.execute(f"SELECT pg_try_advisory_xact_lock({key})")
    return cursor.fetchone()[0]


# --- 1. which days ---------------------------------------------------------------------------------


def _marks_consume(cursor) -> tuple[dict[str, set[date]], bool, bool]:
    """The dirty days written since the last refresh, by source, whether everything is dirty, and
    whether objectives or settings changed while a refresh held the lock (``TARGETS_MARK``)."""
    cursor.execute(f"DELETE FROM {_t(DirtyDay)} RETURNING source, day")
    days: dict[str, set[date]] = {}
    everything = targets = False
    for source, day in cursor.fetchall():
        if source == TARGETS_MARK:
            targets = True
        elif source is None or day is None:
            everything = True
        else:
            days.setdefault(source, set()).add(day)
    return days, everything, targets


def snapshot_targets_sync(cursor, *, ratio) -> int:
    """Give every snapshot the target of its objective (or none) and the status that follows, in
    set-based statements; returns how many statuses changed. Under the refresh lock."""
    snapshot, objective = _t(Snapshot), _t(Objective)
    same = "o.period = s.period AND o.kpi = s.kpi AND o.dimension = s.dimension AND o.key = s.key"
    cursor.execute(
        f"""UPDATE {snapshot} s SET target = o.target::float8, updated_at = now() FROM {objective} o
            WHERE {same} AND s.target IS DISTINCT FROM o.target::float8;
            UPDATE {snapshot} s SET target = NULL, updated_at = now()
            WHERE s.target IS NOT NULL AND NOT EXISTS (SELECT FROM {objective} o WHERE {same})"""
    )
    rows = Snapshot.objects.filter(Q(target__isnull=False) | Q(status__isnull=False))
    return snapshot_statuses_write(
        cursor, rows.values_list("pk", "kpi", "value", "numerator", "denominator", "target", "status"), ratio=ratio
    )


def _visible_since(cursor, *, since: datetime, params: dict) -> dict[str, set[date]]:
    """Days of facts whose timestamp passed between the last run and now: written earlier with a
    future instant, they start to count now without any write to mark them. A lead counts on the day
    of each of its timestamps (its cohort), as in the triggers."""
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


def _table_merge(
    cursor,
    *,
    table: str,
    incoming: str,
    period: str,
    keys: tuple[str, ...],
    values: dict[str, str],
    existing: str,
    touch: dict[str, str] | None = None,
    params: dict | None = None,
    changed_into: str = "",
    incoming_rows: int = 0,
) -> int:
    """Make the rows of ``table`` for ``period`` that ``existing`` selects (``ctid`` and all columns,
    from ``t``; a join that its indexes serve) match ``incoming`` (rows with an ``n_id``, all within
    that scope): delete the rows it lacks,
    update those whose ``values`` (column → SQL over ``n``) differ, insert the new ones; written
    rows also take ``touch`` (column → SQL, reading ``params``). Returns how many rows changed;
    with ``changed_into``, their keys are appended to that temp table.

    One hash full join sorts every row into "same", "differs", "new" or "gone" (``_kpi_diff`` keeps
    the last three, with the row's physical address: only refreshes write these tables, under the
    client's refresh lock), then each write touches only its rows: comparing 700,000 unchanged rows
    costs one join, not three, and no statement reads a table it is inserting into."""
    same = " AND ".join(f"t.{k} = n.{k}" for k in keys)
    params = {**(params or {}), "period": period}
    written = {**values, **(touch or {})}
    key_list = ", ".join(keys)
    differs = f"({', '.join(f't.{c}' for c in values)}) IS DISTINCT FROM ({', '.join(values.values())})"
    if incoming_rows:  # a table just filled (a subquery's tables are analyzed by their writer)
        _analyze(cursor, incoming, incoming_rows)
    cursor.execute("TRUNCATE _kpi_diff")
    cursor.execute(
        f"""INSERT INTO _kpi_diff
            SELECT n.n_id, t.ctid FROM {incoming} n
            FULL JOIN ({existing}) t ON {same}
            WHERE n.n_id IS NULL OR t.ctid IS NULL OR {differs}""",
        params,
    )
    _analyze(cursor, "_kpi_diff", cursor.rowcount)
    note = f"INSERT INTO {changed_into} SELECT %(period)s, {key_list} FROM" if changed_into else "SELECT count(*) FROM"
    returning = ", ".join(f"t.{k}" for k in keys)
    statements = (
        f"""WITH done AS (DELETE FROM {table} t USING _kpi_diff d WHERE t.ctid = d.t_ref AND d.n_id IS NULL
                          RETURNING {returning})
            {note} done""",
        f"""WITH done AS (UPDATE {table} t SET {", ".join(f"{c} = {e}" for c, e in written.items())}
                          FROM _kpi_diff d JOIN {incoming} n ON n.n_id = d.n_id WHERE t.ctid = d.t_ref
                          RETURNING {returning})
            {note} done""",
        f"""WITH done AS (INSERT INTO {table} AS t (period, {key_list}, {", ".join(written)})
                          SELECT %(period)s, {", ".join(f"n.{k}" for k in keys)}, {", ".join(written.values())}
                          FROM _kpi_diff d JOIN {incoming} n ON n.n_id = d.n_id WHERE d.t_ref IS NULL
                          RETURNING {returning})
            {note} done""",
    )
    changed = 0
    for statement in statements:
        cursor.execute(statement, params)
        count = cursor.rowcount if changed_into else cursor.fetchone()[0]
        changed += count
    _analyze(cursor, table, changed)
    return changed


def _merge_measures(cursor, *, period: str, existing: str, record: bool, rows: int) -> int:
    """Merge ``_kpi_new`` into the measures of ``period``; with ``record``, note each changed point
    in ``_kpi_changed`` (an incremental refresh derives only around those)."""
    changed = _table_merge(
        cursor,
        table=_t(Measure),
        incoming="_kpi_new",
        period=period,
        keys=("source", "start", "dimension", "key"),
        values={f"m{i}": f"n.m{i}" for i in range(5)},
        existing=existing,
        changed_into="_kpi_changed" if record else "",
        incoming_rows=rows,
    )
    if record:
        _analyze(cursor, "_kpi_changed", changed)
    return changed


def _day_measures(cursor, *, days: dict[str, set[date]] | None, params: dict) -> int:
    """Recompute day measures from the facts: all of them (``days`` None) or those days per source."""
    if days is None:
        sql = measures_sql(kind="day", dimensions=ALL_DIMENSIONS, sources=tuple(SOURCES), windowed=False)
        cursor.execute(f"INSERT INTO _kpi_new ({NEW_COLUMNS}) {sql}", params)
        rows = cursor.rowcount
        existing = f"SELECT ctid, * FROM {_t(Measure)} t WHERE t.period = 'day'"
    else:
        rows = 0
        for source, source_days in sorted(days.items()):
            windows = windows_params(days_to_windows(source_days))
            cursor.execute(
                "INSERT INTO _kpi_scope SELECT %(source)s, lo, hi FROM unnest(%(win_lo)s::date[], %(win_hi)s::date[])"
                " w(lo, hi)",
                {"source": source, **windows},
            )
            sql = source_sql(source, kind="day", dimensions=ALL_DIMENSIONS, windowed=True)
            cursor.execute(f"INSERT INTO _kpi_new ({NEW_COLUMNS}) {sql}", {**params, **windows})
            rows += cursor.rowcount
        _analyze(cursor, "_kpi_scope", sum(len(d) for d in days.values()))
        existing = (
            f"SELECT t.ctid, t.* FROM _kpi_scope w JOIN {_t(Measure)} t ON t.period = 'day' "
            "AND t.source = w.source AND t.start >= w.lo AND t.start < w.hi"
        )
    return _merge_measures(cursor, period="day", existing=existing, record=days is not None, rows=rows)


def _period_measures(cursor, *, kind: str, full: bool) -> int:
    """Re-sum the week, month or quarter measures from the day measures: all of them, or the
    points whose day rows changed."""
    measure = _t(Measure)
    sums = ", ".join(f"sum(d.m{i})" for i in range(5))
    cursor.execute("TRUNCATE _kpi_new, _kpi_affected RESTART IDENTITY")
    if full:
        cursor.execute(
            f"""INSERT INTO _kpi_new ({NEW_COLUMNS})
                SELECT date_trunc('{kind}', d.start)::date, d.source, d.dimension, d.key, {sums}
                FROM {measure} d WHERE d.period = 'day' GROUP BY 1, 2, 3, 4"""
        )
        rows = cursor.rowcount
        existing = f"SELECT ctid, * FROM {measure} t WHERE t.period = '{kind}'"
    else:
        cursor.execute(
            f"""INSERT INTO _kpi_affected SELECT DISTINCT source, date_trunc('{kind}', start)::date, dimension, key
                FROM _kpi_changed WHERE period = 'day'"""
        )
        _analyze(cursor, "_kpi_affected", cursor.rowcount)
        cursor.execute(
            f"""INSERT INTO _kpi_new ({NEW_COLUMNS}) SELECT a.start, a.source, a.dimension, a.key, {sums}
                FROM _kpi_affected a JOIN {measure} d ON d.period = 'day' AND d.source = a.source
                    AND d.dimension = a.dimension AND d.key = a.key
                    AND d.start >= a.start AND d.start < (a.start + interval '{_STEP[kind]}')::date
                GROUP BY a.start, a.source, a.dimension, a.key"""
        )
        rows = cursor.rowcount
        existing = (
            f"SELECT t.ctid, t.* FROM _kpi_affected a JOIN {measure} t ON t.period = '{kind}' "
            "AND t.source = a.source AND t.start = a.start AND t.dimension = a.dimension AND t.key = a.key"
        )
    return _merge_measures(cursor, period=kind, existing=existing, record=not full, rows=rows)


_STEP = {PeriodKind.WEEK: "7 days", PeriodKind.MONTH: "1 month", PeriodKind.QUARTER: "3 months"}


# --- 3. snapshots ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Span:
    """The periods of one kind a refresh works on, as indexes from the client's first period (only
    the windows around data are laid out: ``_segments``)."""

    kind: str
    first: date  # the first period with a measure: index 0 of every series
    current: int  # the period of as-of
    since: int | None  # the period of the last run's as-of (incremental only)


def _segments(cursor, span: _Span, *, full: bool) -> list[Segment]:
    """The series windows to derive: around every point that holds data (full), or around the points
    whose measures changed. Either way the work follows the periods with data, never the span from
    the first one: a client with a fact in 2000 and the rest in 2026 derives two small windows."""
    ranges: dict[tuple[str, str], list[tuple[int, int]]] = {}
    if full:
        # Runs of data points no further apart than a window and its history, each one range (SQL
        # gaps and islands: the points themselves never reach Python).
        index = period_index_sql(span.kind, "start")
        cursor.execute(
            f"""WITH p AS (SELECT DISTINCT dimension, key, {index} AS i FROM {_t(Measure)}
                           WHERE period = %(kind)s AND start <= %(last)s),
                b AS (SELECT *, (i - lag(i) OVER w > %(gap)s OR lag(i) OVER w IS NULL)::int AS new
                      FROM p WINDOW w AS (PARTITION BY dimension, key ORDER BY i)),
                r AS (SELECT *, sum(new) OVER (PARTITION BY dimension, key ORDER BY i) AS run FROM b)
                SELECT dimension, key, min(i), max(i) FROM r GROUP BY dimension, key, run""",
            {
                "kind": span.kind,
                "first": span.first,
                "last": period_shift(span.first, span.kind, span.current),
                "gap": AFTER + HISTORY,
            },
        )
        for dimension, key, lo, hi in cursor.fetchall():
            ranges.setdefault((dimension, key), []).append((lo, hi + AFTER))
        ranges.setdefault(("", ""), []).append((span.current, span.current))
        return _windows(ranges, span)
    cursor.execute("SELECT DISTINCT dimension, key, start FROM _kpi_changed WHERE period = %s", [span.kind])
    for dimension, key, start in cursor.fetchall():
        i = period_index(span.kind, span.first, start)
        ranges.setdefault((dimension, key), []).append((i, i + AFTER))
    if span.since is not None and span.since < span.current:
        # Rows still marked in progress whose period has ended since the last run.
        cursor.execute(
            f"SELECT DISTINCT dimension, key, start FROM {_t(Snapshot)} "
            "WHERE period = %s AND is_partial AND start < %s",
            [span.kind, period_shift(span.first, span.kind, span.current)],
        )
        for dimension, key, start in cursor.fetchall():
            i = period_index(span.kind, span.first, start)
            ranges.setdefault((dimension, key), []).append((i, i))
    # Totals of the periods since the last run (those within reach of data, and the current one).
    ranges.setdefault(("", ""), []).append((span.since if span.since is not None else span.current, span.current))
    return _windows(ranges, span)


def _windows(ranges: dict[tuple[str, str], list[tuple[int, int]]], span: _Span) -> list[Segment]:
    """Segments of the written ranges of each series, merged where their histories overlap."""
    segments = []
    for (dimension, key), spans in sorted(ranges.items()):
        merged: list[list[int]] = []
        for a, b in sorted(spans):
            a, b = max(a, 0), min(b, span.current)
            if a > b:
                continue
            if merged and a <= merged[-1][1] + HISTORY:  # overlapping histories: one window
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        segments += [Segment(dimension, key, max(0, a - HISTORY), a, b) for a, b in merged]
    return segments


def _grids(segments: list[Segment]) -> list[tuple[int, list[Segment]]]:
    """The segments in groups of similar widths, each laid out on a grid of at most ``GRID_CELLS``
    cells (a grid is as wide as its widest segment): ``(offset of the group's first segment, group)``,
    segments renumbered in that order. Memory then follows the data, not the longest series."""
    ordered = sorted(segments, key=lambda s: s.write_to - s.base)
    groups: list[tuple[int, list[Segment]]] = []
    start = 0
    for i, segment in enumerate(ordered):
        width = segment.write_to - segment.base + 1
        if i > start and (i - start + 1) * width > GRID_CELLS:
            groups.append((start, ordered[start:i]))
            start = i
    if start < len(ordered):
        groups.append((start, ordered[start:]))
    return groups


def _grid_load(cursor, span: _Span, segments: list[Segment]) -> Grid:
    """The stored measures of every segment, in one query (binary arrays, kpis.pgcopy)."""
    grid = Grid(span.kind, span.first, segments, totals_after=AFTER, current=span.current)
    measures = ", ".join(f"COALESCE(m.m{i}::float8, 'NaN') AS m{i}" for i in range(5))
    rows = pgcopy.fetch_columns(
        cursor,
        f"""SELECT (g.n - 1)::int4 AS seg, ({period_index_sql(span.kind, "m.start")} - g.base)::int4 AS col,
                   array_position(%(sources)s::text[], m.source::text)::int2 AS src, {measures}
            FROM unnest(%(dim)s::text[], %(key)s::text[], %(lo)s::date[], %(hi)s::date[], %(base)s::int[])
                 WITH ORDINALITY g(dimension, key, lo, hi, base, n)
            JOIN {_t(Measure)} m ON m.period = %(kind)s AND m.dimension = g.dimension AND m.key = g.key
                AND m.start >= g.lo AND m.start <= g.hi""",
        {
            "kind": span.kind,
            "first": span.first,
            "sources": list(SOURCES),
            "dim": [s.dimension for s in segments],
            "key": [s.key for s in segments],
            "lo": [period_shift(span.first, span.kind, s.base) for s in segments],
            "hi": [period_shift(span.first, span.kind, s.write_to) for s in segments],
            "base": [s.base for s in segments],
        },
        [("seg", "int4"), ("col", "int4"), ("src", "int2")] + [(f"m{i}", "float8") for i in range(5)],
    )
    grid.put_arrays(
        rows["seg"].astype(int), rows["col"].astype(int), rows["src"], [rows[f"m{i}"].astype(float) for i in range(5)]
    )
    return grid


def _derived_write(cursor, span: _Span, grid: Grid, *, offset: int, targets: dict, ratio) -> tuple[int, int]:
    """Derive every KPI row of the grid (its segments numbered from ``offset`` in ``_kpi_segments``)
    into ``_kpi_derived`` (binary COPY); returns (rows, anomalies flagged). Statuses are decided here,
    exactly, for the rows with a target."""
    segments = grid.segments
    lo, last = min(s.write_from for s in segments), max(s.write_to for s in segments)
    start_days = pgcopy.days(period_shift(span.first, span.kind, i) for i in range(lo, last + 1))
    total = flagged = 0
    batch: list[dict] = []

    def flush() -> None:
        if batch:
            columns = {
                name: np.concatenate([np.broadcast_to(part[name], len(part["seg"])) for part in batch])
                for name, _kind in DERIVED_COPY
            }
            pgcopy.copy_in(cursor.cursor, "_kpi_derived", DERIVED_COPY, columns)
            batch.clear()

    for rows in kpi_rows_by_kpi(grid, list(REGISTRY), current=span.current, anomalies=True):
        count = len(rows)
        if not count:
            continue
        kpi = KPIS[rows.kpi[0]]
        target, status = _targets_and_statuses(rows, targets, ratio=ratio)
        anomaly = (rows.anomaly == Direction.UP) * 1 + (rows.anomaly == Direction.DOWN) * 2
        batch.append(
            {
                "seg": rows.segment + offset,
                "kpi_code": KPI_CODES[kpi.key],
                "start": start_days[rows.index - lo],
                "value": rows.value,
                "numerator": rows.numerator,
                "denominator": rows.denominator,
                "previous_value": rows.previous,
                "change": rows.value - rows.previous,
                "target": target,
                "status": status,
                "anomaly": anomaly,
                "baseline_median": rows.baseline_median,
                "baseline_low": rows.baseline_low,
                "baseline_high": rows.baseline_high,
                "is_partial": rows.is_partial,
                "definition_version": kpi.version,
            }
        )
        total += count
        flagged += int(np.count_nonzero(anomaly))
        if sum(len(part["seg"]) for part in batch) >= COPY_BATCH:
            flush()
    flush()
    return total, flagged


def _targets_and_statuses(rows, targets: dict, *, ratio) -> tuple[np.ndarray, np.ndarray]:
    """The target (NaN: none) and status code of each row of one KPI."""
    count = len(rows)
    target, status = np.full(count, np.nan), np.zeros(count, dtype=np.int16)
    kpi = rows.kpi[0] if count else None
    scoped = {(d, k): t for (name, d, k), t in targets.items() if name == kpi}
    if not scoped:
        return target, status
    for i, scope in enumerate(zip(rows.dimension.tolist(), rows.key.tolist(), strict=True)):
        if (objective := scoped.get(scope)) is None:
            continue
        target[i] = float(objective)
        value, numerator, denominator = (
            None if math.isnan(x) else float(x) for x in (rows.value[i], rows.numerator[i], rows.denominator[i])
        )
        decided = row_status(
            kpi=KPIS[kpi],
            value=value,
            numerator=numerator,
            denominator=denominator,
            target=objective,
            amber_ratio=ratio,
        )
        status[i] = 0 if decided is None else STATUSES.index(decided) + 1
    return target, status


def _merge_snapshots(cursor, span: _Span, *, full: bool, params: dict) -> int:
    """Merge the derived rows into the snapshots of the kind: update what differs, insert what is
    new, delete what the derived windows (everything when ``full``) no longer hold. Changed rows take
    the refresh's as-of instant; unchanged rows keep theirs."""
    snapshot = _t(Snapshot)
    if full:
        existing = f"SELECT ctid, * FROM {snapshot} t WHERE t.period = %(period)s"
    else:  # each range for each KPI: index range scans of (period, kpi, dimension, key, start)
        existing = (
            f"SELECT t.ctid, t.* FROM _kpi_ranges r CROSS JOIN unnest(%(kpi_keys)s::text[]) k(kpi) "
            f"JOIN {snapshot} t ON t.period = %(period)s AND t.kpi = k.kpi AND t.dimension = r.dimension "
            "AND t.key = r.key AND t.start >= r.lo AND t.start <= r.hi"
        )
    return _table_merge(
        cursor,
        table=snapshot,
        incoming=DERIVED_ROWS,
        period=span.kind,
        keys=KEYS,
        values={c: f"n.{c}" for c in DECIDED},
        existing=existing,
        touch={"as_of": "%(as_of)s", "updated_at": "now()"},
        params={**params, "kpi_keys": list(KPI_CODES)},
    )


def snapshot_statuses_write(cursor, rows, *, ratio) -> int:
    """Write the status of each ``(id, kpi, value, numerator, denominator, target, status)`` row
    whose stored status differs; returns how many changed (objectives and settings changes)."""
    ids, statuses = [], []
    for pk, kpi, value, numerator, denominator, target, stored in rows:
        status = row_status(
            kpi=KPIS[kpi], value=value, numerator=numerator, denominator=denominator, target=target, amber_ratio=ratio
        )
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


def _snapshots(cursor, span: _Span, *, full: bool, params: dict, ratio) -> tuple[int, int]:
    cursor.execute("TRUNCATE _kpi_ranges, _kpi_segments, _kpi_derived RESTART IDENTITY")
    segments = _segments(cursor, span, full=full)
    if not full:
        cursor.execute(
            "INSERT INTO _kpi_ranges SELECT * FROM unnest(%s::text[], %s::text[], %s::date[], %s::date[])",
            [
                [s.dimension for s in segments],
                [s.key for s in segments],
                [period_shift(span.first, span.kind, s.write_from) for s in segments],
                [period_shift(span.first, span.kind, s.write_to) for s in segments],
            ],
        )
        _analyze(cursor, "_kpi_ranges", len(segments))
    groups = _grids(segments)
    ordered = [segment for _offset, group in groups for segment in group]
    cursor.execute(
        "INSERT INTO _kpi_segments SELECT n - 1, dimension, key FROM unnest(%s::text[], %s::text[]) "
        "WITH ORDINALITY g(dimension, key, n)",
        [[s.dimension for s in ordered], [s.key for s in ordered]],
    )
    targets = {(o.kpi, o.dimension, o.key): o.target for o in Objective.objects.filter(period=span.kind)}
    total = flagged = 0
    for offset, group in groups:
        rows, flags = _derived_write(
            cursor, span, _grid_load(cursor, span, group), offset=offset, targets=targets, ratio=ratio
        )
        total, flagged = total + rows, flagged + flags
    _analyze(cursor, "_kpi_segments", len(ordered))
    _analyze(cursor, "_kpi_derived", total)
    return _merge_snapshots(cursor, span, full=full, params=params), flagged


# --- the service -----------------------------------------------------------------------------------


def _first_periods(cursor) -> dict[str, date | None]:
    """The first period of each kind with any fact (every fact has a total row)."""
    cursor.execute(
        f"SELECT period, min(start) FROM {_t(Measure)} WHERE dimension = '' AND key = '' AND period = ANY(%s) "
        "GROUP BY period",
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
        if not refresh_lock(cursor, wait=False):
            result.busy = True
            return result
        _prepare(cursor)
        last = RefreshRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()
        marks, everything, retarget = _marks_consume(cursor)
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
        for kind in PERIODS:
            if firsts[kind] is None:
                cursor.execute(f"DELETE FROM {_t(Snapshot)} WHERE period = %s", [kind])
                result.snapshots_changed += cursor.rowcount
                continue
            first = firsts[kind]
            span = _Span(
                kind=kind,
                first=first,
                current=period_index(kind, first, period_floor(local_today, kind)),
                since=None if since_day is None else max(0, period_index(kind, first, period_floor(since_day, kind))),
            )
            changed, flagged = _snapshots(cursor, span, full=full, params=params, ratio=ratio)
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
