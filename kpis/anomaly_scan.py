"""Anomaly flags on stored snapshot series (spec kpis.md §6), many series at once.

A series is one (KPI, period kind, dimension, key) over the periods from the client's first one to
the current one. A missing row counts 0 for a count or a sum and nothing (null) for a rate, as
everywhere else. Periods in progress are never flagged: a month five days old is not "below its
usual range", it is unfinished.

NumPy screens every position at once (median and MAD of the previous 8 periods, in floats); each
candidate near or beyond the threshold is then decided by ``kpis.anomalies.anomaly_check`` in exact
arithmetic, so flags are exactly the pure rule's, thresholds included.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from datetime import date

import numpy as np
from django.db import connection
from numpy.lib.stride_tricks import sliding_window_view

from kpis.anomalies import MAD_SCALE, MIN_PERIODS, THRESHOLD, WINDOW, anomaly_check
from kpis.engine import period_shift
from kpis.models import Snapshot
from kpis.registry import KPIS, Unit

SCREEN_MARGIN = 1e-6  # candidates this close to the threshold are decided exactly
FETCH_BATCH = 200_000


def _t(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def period_index_sql(kind: str, column: str) -> str:
    """SQL: how many ``kind`` periods ``column`` lies after the parameter ``%(first)s``."""
    if kind == "day":
        return f"({column} - %(first)s::date)"
    if kind == "week":
        return f"(({column} - %(first)s::date) / 7)"
    months = (
        f"((date_part('year', {column}) - date_part('year', %(first)s::date)) * 12 "
        f"+ date_part('month', {column}) - date_part('month', %(first)s::date))::int"
    )
    return months if kind == "month" else f"({months} / 3)"


def period_index(kind: str, first: date, day: date) -> int:
    if kind == "day":
        return (day - first).days
    if kind == "week":
        return (day - first).days // 7
    months = (day.year - first.year) * 12 + day.month - first.month
    return months if kind == "month" else months // 3


@dataclass(frozen=True)
class Segment:
    """Positions ``lo..hi`` (period indexes, inclusive) of one series, flags decided on ``evaluate``."""

    kpi: str
    dimension: str
    key: str
    lo: int
    hi: int
    evaluate: tuple[tuple[int, int], ...]  # inclusive index ranges


def flags_screen(values: np.ndarray, evaluate: np.ndarray) -> list[tuple[int, int]]:
    """``(row, column)`` of every position of ``values`` (NaN: no value) that may be anomalous
    against the 8 columns before it; a superset of the exact rule's flags."""
    rows, width = values.shape
    padded = np.concatenate([np.full((rows, WINDOW), np.nan), values], axis=1)
    history = sliding_window_view(padded, WINDOW, axis=1)[:, :width]  # history[r, c] = values[r, c-8:c]
    counts = (~np.isnan(history)).sum(axis=2)
    candidate = evaluate & ~np.isnan(values) & (counts >= MIN_PERIODS)
    r, c = np.nonzero(candidate)
    if not len(r):
        return []
    windows = history[r, c]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        median = np.nanmedian(windows, axis=1)
        mad = np.nanmedian(np.abs(windows - median[:, None]), axis=1)
        z = np.abs(values[r, c] - median) / (float(MAD_SCALE) * mad)
    keep = (mad > 0) & (z > THRESHOLD - SCREEN_MARGIN)
    return list(zip(r[keep].tolist(), c[keep].tolist(), strict=True))


def anomalies_refresh(cursor, *, kind: str, first: date, current: date, full: bool) -> int:
    """Recompute the flags of one period kind: every series (``full``) or the windows of the rows in
    ``_kpi_touched`` (the 8 periods after a changed value read it). Returns the rows changed."""
    last = period_index(kind, first, current)
    segments = _segments_all(cursor, kind, last) if full else _segments_touched(cursor, kind, first, last)
    if not segments:
        return 0
    width = max(s.hi - s.lo + 1 for s in segments)
    values = np.full((len(segments), width), np.nan)
    partial = np.zeros((len(segments), width), dtype=bool)
    evaluate = np.zeros((len(segments), width), dtype=bool)
    for row, segment in enumerate(segments):
        if KPIS[segment.kpi].unit in (Unit.COUNT, Unit.MONEY):  # a missing row is 0; periods before `first` stay NaN
            values[row, : segment.hi - segment.lo + 1] = 0.0
        for a, b in segment.evaluate:
            evaluate[row, a - segment.lo : b - segment.lo + 1] = True
    exists = np.zeros((len(segments), width), dtype=bool)
    _segments_fill(cursor, kind, first, segments, values, partial, exists)
    evaluate &= exists & ~partial

    found: dict[tuple[int, int], object] = {}
    for row, column in flags_screen(values, evaluate):
        history = [None if np.isnan(v) else float(v) for v in values[row, max(0, column - 8) : column]]
        anomaly = anomaly_check(value=float(values[row, column]), history=history)
        if anomaly is not None:
            found[(row, column)] = anomaly
    return _flags_write(cursor, kind, first, segments, found)


def _segments_all(cursor, kind: str, last: int) -> list[Segment]:
    cursor.execute(
        f"SELECT DISTINCT kpi, dimension, key FROM {_t(Snapshot)} WHERE period = %s ORDER BY 1, 2, 3", [kind]
    )
    return [Segment(kpi, dim, key, 0, last, ((0, last),)) for kpi, dim, key in cursor.fetchall()]


def _segments_touched(cursor, kind: str, first: date, last: int) -> list[Segment]:
    """One segment per run of touched positions of a series: each touched position i is re-decided
    together with the 8 after it (they read it), and needs the 8 before it as history."""
    cursor.execute("SELECT DISTINCT kpi, dimension, key, start FROM _kpi_touched WHERE period = %s", [kind])
    touched: dict[tuple[str, str, str], list[int]] = {}
    for kpi, dim, key, start in cursor.fetchall():
        touched.setdefault((kpi, dim, key), []).append(period_index(kind, first, start))
    segments = []
    for (kpi, dim, key), indexes in sorted(touched.items()):
        ranges: list[list[int]] = []
        for i in sorted(indexes):
            if ranges and i <= ranges[-1][1] + 1 + WINDOW:  # the history windows overlap: one segment
                ranges[-1][1] = min(last, max(ranges[-1][1], i + WINDOW))
            else:
                ranges.append([i, min(last, i + WINDOW)])
        for a, b in ranges:
            segments.append(Segment(kpi, dim, key, max(0, a - WINDOW), b, ((a, b),)))
    return segments


def _segments_fill(cursor, kind, first, segments, values, partial, exists) -> None:
    """Read the stored values of every segment (one query) into the matrices."""
    index = period_index_sql(kind, "s.start")
    cursor.execute(
        f"""SELECT g.n - 1, {index} - g.lo, s.value, s.is_partial
            FROM unnest(%(kpi)s::text[], %(dim)s::text[], %(key)s::text[], %(lo)s::date[], %(hi)s::date[],
                        %(lo_i)s::int[]) WITH ORDINALITY g(kpi, dimension, key, lo_day, hi_day, lo, n)
            JOIN {_t(Snapshot)} s ON s.period = %(kind)s AND s.kpi = g.kpi AND s.dimension = g.dimension
                AND s.key = g.key AND s.start >= g.lo_day AND s.start <= g.hi_day""",
        {
            "kind": kind,
            "first": first,
            "kpi": [s.kpi for s in segments],
            "dim": [s.dimension for s in segments],
            "key": [s.key for s in segments],
            "lo": [period_shift(first, kind, s.lo) for s in segments],
            "hi": [period_shift(first, kind, s.hi) for s in segments],
            "lo_i": [s.lo for s in segments],
        },
    )
    while batch := cursor.fetchmany(FETCH_BATCH):
        rows, columns, numbers, partials = zip(*batch, strict=True)
        rows, columns = np.array(rows), np.array(columns)
        values[rows, columns] = np.array([np.nan if v is None else v for v in numbers], dtype=float)
        partial[rows, columns] = partials
        exists[rows, columns] = True


def _flags_write(cursor, kind, first, segments, found) -> int:
    """Store the flags found and clear the stored ones on decided positions that are no longer
    anomalous; returns how many rows changed."""
    cursor.execute(
        f"""SELECT s.kpi, s.dimension, s.key, s.start, s.anomaly, s.baseline_median, s.baseline_low, s.baseline_high
            FROM {_t(Snapshot)} s WHERE s.period = %s AND s.anomaly IS NOT NULL""",
        [kind],
    )
    stored = {(kpi, dim, key, start): rest for kpi, dim, key, start, *rest in cursor.fetchall()}
    changes = []
    for (row, column), anomaly in found.items():
        s = segments[row]
        point = (s.kpi, s.dimension, s.key, period_shift(first, kind, s.lo + column))
        new = [anomaly.direction, anomaly.median, anomaly.baseline_low, anomaly.baseline_high]
        if stored.get(point) != new:
            changes.append((*point, *new))
    by_series: dict[tuple[str, str, str], list[tuple[int, Segment]]] = {}
    for row, s in enumerate(segments):
        by_series.setdefault((s.kpi, s.dimension, s.key), []).append((row, s))
    for kpi, dim, key, start in stored:
        position = period_index(kind, first, start)
        for row, s in by_series.get((kpi, dim, key), ()):
            if any(a <= position <= b for a, b in s.evaluate) and (row, position - s.lo) not in found:
                changes.append((kpi, dim, key, start, None, None, None, None))
                break
    if changes:
        columns = list(zip(*changes, strict=True))
        cursor.execute(
            f"""UPDATE {_t(Snapshot)} s SET anomaly = u.anomaly, baseline_median = u.median, baseline_low = u.low,
                    baseline_high = u.high, updated_at = now()
                FROM unnest(%(kpi)s::text[], %(dim)s::text[], %(key)s::text[], %(start)s::date[], %(anomaly)s::text[],
                            %(median)s::float8[], %(low)s::float8[], %(high)s::float8[])
                     u(kpi, dimension, key, start, anomaly, median, low, high)
                WHERE s.period = %(kind)s AND s.kpi = u.kpi AND s.dimension = u.dimension AND s.key = u.key
                    AND s.start = u.start""",
            {
                "kind": kind,
                **dict(
                    zip(
                        ("kpi", "dim", "key", "start", "anomaly", "median", "low", "high"),
                        map(list, columns),
                        strict=True,
                    )
                ),
            },  # fmt: skip
        )
    return len(changes)
