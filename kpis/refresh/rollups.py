"""Measure roll-ups: day measures recomputed from the facts (all, or the dirty days per source) and
week, month and quarter measures re-summed from the day rows, each merged into ``Measure``; an
incremental refresh records every changed point in ``_kpi_changed`` for the snapshots to follow."""

from __future__ import annotations

from datetime import date

from kpis.measures import METRICS, SOURCES, days_to_windows, measures_sql, source_sql, windows_params
from kpis.models import Measure, PeriodKind
from kpis.refresh.merge import table_merge
from kpis.refresh.temp_tables import statistics_refresh
from kpis.registry import DIMENSIONS
from kpis.sql import quoted_table

ALL_DIMENSIONS: tuple[str | None, ...] = (None, *DIMENSIONS)
NEW_COLUMNS = "start, source, dimension, key, m0, m1, m2, m3, m4"
PERIOD_LENGTH = {PeriodKind.WEEK: "7 days", PeriodKind.MONTH: "1 month", PeriodKind.QUARTER: "3 months"}


def _measures_merge(cursor, *, period: str, existing: str, record: bool, rows: int) -> int:
    """Merge ``_kpi_new`` into the measures of ``period``; with ``record``, note each changed point
    in ``_kpi_changed`` (an incremental refresh derives only around those)."""
    changed = table_merge(
        cursor,
        table=quoted_table(Measure),
        incoming="_kpi_new",
        period=period,
        keys=("source", "start", "dimension", "key"),
        values={f"m{i}": f"n.m{i}" for i in range(5)},
        existing=existing,
        changed_into="_kpi_changed" if record else "",
        incoming_rows=rows,
    )
    if record:
        statistics_refresh(cursor, "_kpi_changed", changed)
    return changed


def day_measures(cursor, *, days: dict[str, set[date]] | None, params: dict) -> int:
    """Recompute day measures from the facts: all of them (``days`` None) or those days per source."""
    if days is None:
        sql = measures_sql(kind="day", dimensions=ALL_DIMENSIONS, sources=(*SOURCES, METRICS), windowed=False)
        cursor.execute(f"INSERT INTO _kpi_new ({NEW_COLUMNS}) {sql}", params)
        rows = cursor.rowcount
        existing = f"SELECT ctid, * FROM {quoted_table(Measure)} t WHERE t.period = 'day'"
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
        statistics_refresh(cursor, "_kpi_scope", sum(len(d) for d in days.values()))
        existing = (
            f"SELECT t.ctid, t.* FROM _kpi_scope w JOIN {quoted_table(Measure)} t ON t.period = 'day' "
            "AND t.source = w.source AND t.start >= w.lo AND t.start < w.hi"
        )
    return _measures_merge(cursor, period="day", existing=existing, record=days is not None, rows=rows)


def period_measures(cursor, *, kind: str, full: bool) -> int:
    """Re-sum the week, month or quarter measures from the day measures: all of them, or the
    points whose day rows changed."""
    measure = quoted_table(Measure)
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
        statistics_refresh(cursor, "_kpi_affected", cursor.rowcount)
        cursor.execute(
            f"""INSERT INTO _kpi_new ({NEW_COLUMNS}) SELECT a.start, a.source, a.dimension, a.key, {sums}
                FROM _kpi_affected a JOIN {measure} d ON d.period = 'day' AND d.source = a.source
                    AND d.dimension = a.dimension AND d.key = a.key
                    AND d.start >= a.start AND d.start < (a.start + interval '{PERIOD_LENGTH[kind]}')::date
                GROUP BY a.start, a.source, a.dimension, a.key"""
        )
        rows = cursor.rowcount
        existing = (
            f"SELECT t.ctid, t.* FROM _kpi_affected a JOIN {measure} t ON t.period = '{kind}' "
            "AND t.source = a.source AND t.start = a.start AND t.dimension = a.dimension AND t.key = a.key"
        )
    return _measures_merge(cursor, period=kind, existing=existing, record=not full, rows=rows)
