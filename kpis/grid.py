"""Measures on a grid, and every KPI derived from them with NumPy (the formulas of ``kpis.formulas``).

A grid holds *segments*: runs of consecutive periods of one series (a dimension and key, or the
total), one row each, one column per period. The report lays out the asked periods of every key
found; a full refresh the windows around every period that holds data; an incremental refresh
only the windows around what changed. Every KPI is then evaluated for all
cells at once: its value, numerator and denominator, the previous period's value (the column to
the left), and whether a row exists there (docs/kpis.md §1 "Dimensions").

Arithmetic is float64, as stored: counts stay exact (< 2^53) and a ratio is the correctly rounded
quotient of its exact numerator and denominator. A missing measure counts 0, so a ratio whose
denominator is 0 is NaN (null) and a count is 0, as docs/kpis.md §1 says of missing rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from kpis.custom.parser import formula_evaluate, formula_measures, formula_parsed, formula_ratio
from kpis.formulas import FORMULAS, Terms
from kpis.measures import SOURCE_OF_MEASURE, SOURCES, metric_source, source_measures
from kpis.periods import period_shift
from kpis.registry import KPI, Unit

MEASURES = tuple(name for source in SOURCES.values() for name in source.measures)


@dataclass(frozen=True)
class Segment:
    """Columns ``base…write_to`` (period indexes) of one series; rows are produced from ``write_from``
    (the columns before only feed the previous-period values and the anomaly history)."""

    dimension: str
    key: str
    base: int
    write_from: int
    write_to: int


@dataclass
class Derived:
    value: np.ndarray
    numerator: np.ndarray | None
    denominator: np.ndarray | None
    previous: np.ndarray
    present: np.ndarray


def _shift(array: np.ndarray, fill=0) -> np.ndarray:
    """The column to the left (the previous period); ``fill`` where there is none."""
    shifted = np.full_like(array, fill)
    shifted[:, 1:] = array[:, :-1]
    return shifted


class Grid:
    """``totals_after``: None, a total row exists for every period (the report); a number n, only for
    the periods that hold data, the n after each, and ``current`` (snapshots: a refresh then works on
    the periods that hold data, not on every period since the oldest fact)."""

    def __init__(
        self,
        kind: str,
        first: date,
        segments: list[Segment],
        *,
        totals_after: int | None = None,
        current: int | None = None,
        metrics: tuple[str, ...] = (),
    ):
        self.kind, self.first, self.segments = kind, first, segments
        self.totals_after, self.current = totals_after, current
        self._totals_mask: np.ndarray | None = None
        self.width = max((s.write_to - s.base + 1 for s in segments), default=0)
        shape = (len(segments), self.width)
        # The engine's sources, then one per imported metric (``metrics``: their names).
        self.sources = (*SOURCES, *(metric_source(m) for m in metrics))
        self.measures = {name: np.zeros(shape) for name in (*MEASURES, *metrics)}
        self.has = {source: np.zeros(shape, dtype=bool) for source in self.sources}
        self.global_index = np.array([s.base for s in segments], dtype=int)[:, None] + np.arange(self.width)[None, :]
        write_from = np.array([s.write_from for s in segments], dtype=int)[:, None]
        write_to = np.array([s.write_to for s in segments], dtype=int)[:, None]
        self.written = (self.global_index >= write_from) & (self.global_index <= write_to)
        self.is_total = np.array([s.dimension == "" for s in segments], dtype=bool)

    def put(self, source: str, rows: np.ndarray, columns: np.ndarray, values: list[np.ndarray]) -> None:
        """Measures of ``source`` at ``(rows[i], columns[i])``: ``values[j][i]`` is its j-th measure."""
        for name, column_values in zip(source_measures(source), values, strict=False):
            self.measures[name][rows, columns] = column_values
        self.has[source][rows, columns] = True

    def put_rows(self, rows: list[tuple]) -> None:
        """Measure rows ``(segment, column, source, m0, …, m4)`` (NULL measures as None)."""
        if not rows:
            return
        segment, column, source, *measures = zip(*rows, strict=True)
        codes = {name: code for code, name in enumerate(self.sources, 1)}
        self.put_arrays(
            np.array(segment),
            np.array(column),
            np.array([codes[s] for s in source]),
            [np.array(m, dtype=float) for m in measures],
        )

    def put_arrays(self, segment: np.ndarray, column: np.ndarray, source: np.ndarray, measures: list) -> None:
        """Measure rows as arrays; ``source`` holds 1-based positions in ``self.sources``."""
        for code, name in enumerate(self.sources, 1):
            mask = source == code
            if mask.any():
                self.put(name, segment[mask], column[mask], [m[mask] for m in measures])

    def starts(self, indexes: np.ndarray) -> list[date]:
        """The period start of each period index."""
        cache: dict[int, date] = {}
        return [cache.get(i) or cache.setdefault(i, period_shift(self.first, self.kind, i)) for i in indexes.tolist()]

    def _linear(self, terms: Terms) -> np.ndarray:
        total = np.zeros((len(self.segments), self.width))
        for name, coefficient in terms:
            measure = self.measures[name.removeprefix("prev_")]
            total += coefficient * (_shift(measure) if name.startswith("prev_") else measure)
        return total

    def _totals_exist(self) -> np.ndarray | bool:
        """Where a total row exists, facts or not (see ``totals_after``)."""
        if self.totals_after is None:
            return True
        if self._totals_mask is None:
            data = np.zeros((len(self.segments), self.width), dtype=int)
            for has in self.has.values():
                data |= has
            # data within the ``totals_after`` columns up to each one: a moving sum over the columns
            running = np.cumsum(data, axis=1)
            before = np.zeros_like(running)
            before[:, self.totals_after + 1 :] = running[:, : -self.totals_after - 1]
            self._totals_mask = (running - before > 0) | (self.global_index == self.current)
        return self._totals_mask

    def derive(self, kpi: KPI) -> Derived:
        formula = FORMULAS.get(kpi.key)
        if formula is None:
            return self._derive_custom(kpi)
        if formula.is_ratio:
            numerator, denominator = self._linear(formula.numerator), self._linear(formula.denominator)
            with np.errstate(divide="ignore", invalid="ignore"):
                value = np.where(denominator != 0, numerator / np.where(denominator != 0, denominator, 1), np.nan)
        else:
            numerator = denominator = None
            value = self._linear(formula.value)
        present = np.zeros(value.shape, dtype=bool)
        for source in formula.sources:
            present |= self.has[source]
        for source in formula.previous_sources:
            present |= _shift(self.has[source], False)
        return self._derived(kpi, value, numerator, denominator, present)

    def _derive_custom(self, kpi: KPI) -> Derived:
        """A custom KPI (kpis.models.CustomKPI): its formula over the same measures, a division's sides
        as numerator and denominator; a row exists where one of its measures' sources has the key."""
        node = formula_parsed(str(kpi.formula))
        shape = (len(self.segments), self.width)
        zeros = np.zeros(shape)

        def evaluate(part) -> np.ndarray:
            return np.broadcast_to(formula_evaluate(part, lambda name: self.measures.get(name, zeros)), shape).copy()

        ratio = formula_ratio(node)
        numerator, denominator = (evaluate(ratio[0]), evaluate(ratio[1])) if ratio else (None, None)
        value = evaluate(node)
        present = np.zeros(shape, dtype=bool)
        for name in formula_measures(node):
            source = SOURCE_OF_MEASURE.get(name) or metric_source(name)
            if source in self.has:
                present |= self.has[source]
        return self._derived(kpi, value, numerator, denominator, present)

    def _derived(self, kpi: KPI, value, numerator, denominator, present) -> Derived:
        allowed = np.array([s.dimension in kpi.dimensions for s in self.segments], dtype=bool)
        present &= allowed[:, None]
        if not kpi.dimension_required:
            present |= self.is_total[:, None] & self._totals_exist()
        # Before a grid's first column there is no data: a count was 0 there, a rate nothing.
        previous = _shift(value, 0.0 if kpi.unit in (Unit.COUNT, Unit.MONEY) else np.nan)
        return Derived(value, numerator, denominator, previous, present)


@dataclass
class KPIRows:
    """KPI rows as columns (one entry per row)."""

    kpi: np.ndarray  # object arrays of str …
    segment: np.ndarray  # the row of the grid (int)
    dimension: np.ndarray
    key: np.ndarray
    index: np.ndarray  # period index (int)
    value: np.ndarray  # float arrays (NaN: null) …
    numerator: np.ndarray
    denominator: np.ndarray
    previous: np.ndarray
    is_partial: np.ndarray  # bool
    anomaly: np.ndarray  # object: "up", "down" or None
    baseline_median: np.ndarray
    baseline_low: np.ndarray
    baseline_high: np.ndarray

    def __len__(self) -> int:
        return len(self.kpi)


def kpi_rows_by_kpi(grid: Grid, kpis: list[KPI], *, current: int | None = None, anomalies: bool = False):
    """The rows of each KPI of ``kpis`` that exist in the written columns of ``grid``, one KPI at a
    time (a caller streaming them to the database holds one KPI's rows, not all). ``current`` is the
    period index of as-of (that period is in progress: never flagged); with ``anomalies`` the rows
    carry the flags of docs/kpis.md §6 (computed on the whole grid, so the margins serve as history)."""
    from kpis.anomaly_scan import flags_find

    dims = np.array([s.dimension for s in grid.segments], dtype=object)
    keys = np.array([s.key for s in grid.segments], dtype=object)
    partial = grid.global_index == current if current is not None else np.zeros_like(grid.written)
    for kpi in kpis:
        derived = grid.derive(kpi)
        rows, columns = np.nonzero(derived.present & grid.written)
        count = len(rows)
        nan = np.full(count, np.nan)
        direction, median, low, high = np.full(count, None, dtype=object), nan.copy(), nan.copy(), nan.copy()
        if anomalies and count:
            position = np.full(derived.value.shape, -1)
            position[rows, columns] = np.arange(count)
            for flag in flags_find(derived.value, derived.present & grid.written & ~partial):
                i = position[flag.row, flag.column]
                direction[i], median[i], low[i], high[i] = flag.direction, flag.median, flag.low, flag.high
        yield KPIRows(
            kpi=np.full(count, kpi.key, dtype=object),
            segment=rows,
            dimension=dims[rows],
            key=keys[rows],
            index=grid.global_index[rows, columns],
            value=derived.value[rows, columns],
            numerator=nan if derived.numerator is None else derived.numerator[rows, columns],
            denominator=nan if derived.denominator is None else derived.denominator[rows, columns],
            previous=derived.previous[rows, columns],
            is_partial=partial[rows, columns],
            anomaly=direction,
            baseline_median=median,
            baseline_low=low,
            baseline_high=high,
        )


def kpi_rows(grid: Grid, kpis: list[KPI], **options) -> KPIRows:
    """Every row of ``kpis`` in ``grid`` (see :func:`kpi_rows_by_kpi`), as one set of columns."""
    parts = list(kpi_rows_by_kpi(grid, kpis, **options))
    names = KPIRows.__dataclass_fields__
    if not parts:
        return KPIRows(*(np.array([]) for _ in names))
    return KPIRows(**{name: np.concatenate([getattr(part, name) for part in parts]) for name in names})
