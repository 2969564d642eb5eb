"""Snapshot derivation for one period kind: the stored measures of the series windows to derive are
laid out on grids (``kpis.grid``, at most ``GRID_CELLS`` cells each); every KPI, its trend, target,
status and anomaly flag is derived there, sent to ``_kpi_derived`` by binary COPY (``kpis.pgcopy``),
and the rows are merged into ``Snapshot`` (written only where they differ)."""

from __future__ import annotations

import numpy as np

from kpis import pgcopy
from kpis.custom.definitions import custom_kpis_forget, kpi_list, kpi_sources
from kpis.grid import Grid, Segment, kpi_rows_by_kpi
from kpis.measures import metric_names, metric_source
from kpis.models import Direction, Measure, Objective, Snapshot
from kpis.periods import period_index_sql, period_shift
from kpis.refresh.merge import table_merge
from kpis.refresh.statuses import STATUSES, targets_and_statuses
from kpis.refresh.temp_tables import statistics_refresh
from kpis.refresh.windows import AFTER, Span, grids_group, segments_find
from kpis.registry import KPI, KPIS
from kpis.sql import quoted_table

COPY_BATCH = 200_000  # derived rows sent per COPY (bounds the memory of a full refresh)
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
DIRECTIONS = Direction.values  # codes 1, 2 (0: none): up, down
# The derived rows with their keys and NULLs, as the snapshots hold them; a KPI's code is its 1-based
# position in ``kpi_keys`` (the registry's KPIs, then the client's custom ones).
DERIVED_ROWS = f"""(
    SELECT d.n_id, k.kpi COLLATE "C" AS kpi, s.dimension, s.key, d.start,
        {", ".join(f"NULLIF(d.{c}, 'NaN') AS {c}" for c in FLOAT_COLUMNS)},
        (ARRAY{STATUSES})[NULLIF(d.status, 0)] AS status, (ARRAY{DIRECTIONS})[NULLIF(d.anomaly, 0)] AS anomaly,
        d.is_partial, d.definition_version
    FROM _kpi_derived d JOIN _kpi_segments s ON s.seg = d.seg
    JOIN unnest(%(kpi_keys)s::text[]) WITH ORDINALITY k(kpi, code) ON k.code = d.kpi_code)"""
DECIDED = [name for name, _kind in DERIVED_COPY if name not in ("seg", "kpi_code", "start")]
KEYS = ("kpi", "dimension", "key", "start")


def _grid_load(cursor, span: Span, segments: list[Segment], *, metrics: tuple[str, ...]) -> Grid:
    """The stored measures of every segment, in one query (binary arrays, kpis.pgcopy)."""
    grid = Grid(span.kind, span.first, segments, totals_after=AFTER, current=span.current, metrics=metrics)
    measures = ", ".join(f"COALESCE(m.m{i}::float8, 'NaN') AS m{i}" for i in range(5))
    rows = pgcopy.fetch_columns(
        cursor,
        f"""SELECT (g.n - 1)::int4 AS seg, ({period_index_sql(span.kind, "m.start")} - g.base)::int4 AS col,
                   array_position(%(sources)s::text[], m.source::text)::int2 AS src, {measures}
            FROM unnest(%(dim)s::text[], %(key)s::text[], %(lo)s::date[], %(hi)s::date[], %(base)s::int[])
                 WITH ORDINALITY g(dimension, key, lo, hi, base, n)
            JOIN {quoted_table(Measure)} m ON m.period = %(kind)s AND m.dimension = g.dimension AND m.key = g.key
                AND m.start >= g.lo AND m.start <= g.hi AND m.source = ANY(%(sources)s::text[])""",
        {
            "kind": span.kind,
            "first": span.first,
            "sources": list(grid.sources),
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


def _derived_write(
    cursor, span: Span, grid: Grid, *, kpis: list[KPI], offset: int, targets: dict, ratio
) -> tuple[int, int]:
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

    codes = {kpi.key: code for code, kpi in enumerate(kpis, 1)}
    for kpi, rows in zip(kpis, kpi_rows_by_kpi(grid, kpis, current=span.current, anomalies=True), strict=True):
        count = len(rows)
        if not count:
            continue
        target, status = targets_and_statuses(rows, targets, ratio=ratio, kpi=kpi)
        anomaly = (rows.anomaly == Direction.UP) * 1 + (rows.anomaly == Direction.DOWN) * 2
        batch.append(
            {
                "seg": rows.segment + offset,
                "kpi_code": codes[kpi.key],
                "start": start_days[rows.index - lo],
                "value": rows.value,
                "numerator": rows.numerator,
                "denominator": rows.denominator,
                "previous_value": rows.previous,
                # docs/kpis.md §6: the absolute difference in the KPI's own unit, never a relative growth
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


def _snapshots_merge(cursor, span: Span, *, full: bool, params: dict, kpis: list[KPI]) -> int:
    """Merge the derived rows into the snapshots of the kind: update what differs, insert what is
    new, delete what the derived windows (everything when ``full``) no longer hold. Changed rows take
    the refresh's as-of instant; unchanged rows keep theirs."""
    snapshot = quoted_table(Snapshot)
    if full:
        existing = f"SELECT ctid, * FROM {snapshot} t WHERE t.period = %(period)s"
    else:  # each range for each KPI: index range scans of (period, kpi, dimension, key, start)
        existing = (
            f"SELECT t.ctid, t.* FROM _kpi_ranges r CROSS JOIN unnest(%(kpi_keys)s::text[]) k(kpi) "
            f"JOIN {snapshot} t ON t.period = %(period)s AND t.kpi = k.kpi AND t.dimension = r.dimension "
            "AND t.key = r.key AND t.start >= r.lo AND t.start <= r.hi"
        )
    return table_merge(
        cursor,
        table=snapshot,
        incoming=DERIVED_ROWS,
        period=span.kind,
        keys=KEYS,
        values={c: f"n.{c}" for c in DECIDED},
        existing=existing,
        touch={"as_of": "%(as_of)s", "updated_at": "now()"},
        params={**params, "kpi_keys": [kpi.key for kpi in kpis]},
    )


def snapshots_refresh(cursor, span: Span, *, full: bool, params: dict, ratio) -> tuple[int, int]:
    """Derive the snapshots of ``span``'s kind in the windows ``segments_find`` lays out and merge
    them into ``Snapshot``; returns (rows changed, anomalies flagged)."""
    cursor.execute("TRUNCATE _kpi_ranges, _kpi_segments, _kpi_derived RESTART IDENTITY")
    segments = segments_find(cursor, span, full=full)
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
        statistics_refresh(cursor, "_kpi_ranges", len(segments))
    groups = grids_group(segments)
    ordered = [segment for _offset, group in groups for segment in group]
    cursor.execute(
        "INSERT INTO _kpi_segments SELECT n - 1, dimension, key FROM unnest(%s::text[], %s::text[]) "
        "WITH ORDINALITY g(dimension, key, n)",
        [[s.dimension for s in ordered], [s.key for s in ordered]],
    )
    targets = {(o.kpi, o.dimension, o.key): o.target for o in Objective.objects.filter(period=span.kind)}
    custom_kpis_forget()  # the definitions as they are now (a worker may keep its client object)
    kpis = kpi_list()
    # Only the imported metrics a custom KPI names: a grid holds an array of GRID_CELLS per metric, and
    # a file may bring thousands of metrics no formula reads (as kpis.report reads only its KPIs').
    named = {source for kpi in kpis if kpi.key not in KPIS for source in kpi_sources(kpi)}
    metrics = tuple(m for m in metric_names() if metric_source(m) in named)
    total = flagged = 0
    for offset, group in groups:
        grid = _grid_load(cursor, span, group, metrics=metrics)
        rows, flags = _derived_write(cursor, span, grid, kpis=kpis, offset=offset, targets=targets, ratio=ratio)
        total, flagged = total + rows, flagged + flags
    statistics_refresh(cursor, "_kpi_segments", len(ordered))
    statistics_refresh(cursor, "_kpi_derived", total)
    return _snapshots_merge(cursor, span, full=full, params=params, kpis=kpis), flagged
