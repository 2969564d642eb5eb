"""Which series windows a refresh derives, for one period kind: around every period that holds data
(full) or around the measures that changed (incremental), merged where their histories overlap,
and grouped into grids of bounded size. Work follows the periods with data, never the span from the
first one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from kpis.grid import Segment
from kpis.models import Measure, Snapshot
from kpis.periods import period_index, period_index_sql, period_shift
from kpis.sql import quoted_table

# A changed period is re-decided with the 8 after it (their previous value and anomaly baseline read
# it); a window carries 10 periods of history (8 baseline values, whose lead growth reads one more).
AFTER = 8
HISTORY = 10
GRID_CELLS = 500_000  # (series window × period) cells per grid: about 100 MB of measures and KPI arrays


@dataclass(frozen=True)
class Span:
    """The periods of one kind a refresh works on, as indexes from the client's first period (only
    the windows around data are laid out: ``segments_find``)."""

    kind: str
    first: date  # the first period with a measure: index 0 of every series
    current: int  # the period of as-of
    since: int | None  # the period of the last run's as-of (incremental only)


def segments_find(cursor, span: Span, *, full: bool) -> list[Segment]:
    """The series windows to derive: around every point that holds data (full), or around the points
    whose measures changed. Either way the work follows the periods with data, never the span from
    the first one: a client with a fact in 2000 and the rest in 2026 derives two small windows."""
    ranges: dict[tuple[str, str], list[tuple[int, int]]] = {}
    if full:
        # Runs of data points no further apart than a window and its history, each one range (SQL
        # gaps and islands: the points themselves never reach Python).
        index = period_index_sql(span.kind, "start")
        cursor.execute(
            f"""WITH p AS (SELECT DISTINCT dimension, key, {index} AS i FROM {quoted_table(Measure)}
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
            f"SELECT DISTINCT dimension, key, start FROM {quoted_table(Snapshot)} "
            "WHERE period = %s AND is_partial AND start < %s",
            [span.kind, period_shift(span.first, span.kind, span.current)],
        )
        for dimension, key, start in cursor.fetchall():
            i = period_index(span.kind, span.first, start)
            ranges.setdefault((dimension, key), []).append((i, i))
    # Totals of the periods since the last run (those within reach of data, and the current one).
    ranges.setdefault(("", ""), []).append((span.since if span.since is not None else span.current, span.current))
    return _windows(ranges, span)


def _windows(ranges: dict[tuple[str, str], list[tuple[int, int]]], span: Span) -> list[Segment]:
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


def grids_group(segments: list[Segment]) -> list[tuple[int, list[Segment]]]:
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
