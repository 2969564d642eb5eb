"""The on-demand KPI report (docs/kpis.md), what the ``kpi_report`` command prints: every KPI of
the registry and the current client's custom ones (docs/kpis.md §8) computed from its facts, for
every period whose local start date lies in ``[start, end]``, without reading or storing any snapshot.

One SQL statement per call: the facts of the sources the asked KPIs need are bucketed by local
period in the client's zone and grouped by the asked dimension (``kpis.measures``), then every KPI
is derived from those aggregates by the formulas of ``kpis.formulas`` (``kpis.grid``), so ratios
use exactly the same base numbers as the counts. Never a query per lead, period or KPI. Snapshots
(``kpis.refresh``) run the same measures and formulas, stored.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import connection

from kpis.custom.definitions import kpi_definitions, kpi_sources
from kpis.grid import Grid, Segment, kpi_rows
from kpis.measures import METRIC_PREFIX, current_zone_name, measures_sql
from kpis.periods import PERIODS, period_index, period_shift, period_starts
from kpis.registry import DIMENSIONS, Unit
from kpis.selectors import objective_targets
from kpis.status import row_status


def number(value: float | None, *, whole: bool):
    """A computed number as a JSON number: an int for a count, else a float."""
    if value is None:
        return None
    return int(value) if whole else float(value)


def _null(value: float):
    return None if value != value else float(value)  # NaN is null


def _integral(value: float | None):
    return number(value, whole=value is not None and float(value).is_integer())


def kpi_compute(
    *,
    period: str,
    start: date,
    end: date,
    dimension: str | None,
    as_of: datetime,
    kpis: list[str] | None = None,
) -> list[dict]:
    """Rows ``{"kpi", "period", "start", "dimension", "key", "value", "numerator", "denominator",
    "target", "status"}`` for the current tenant: totals (``dimension`` None) or only the rows of
    ``dimension`` for the KPIs that allow it. Targets and statuses come from the objectives."""
    if period not in PERIODS:
        raise ValueError(f"Unknown period {period!r}; use one of {', '.join(PERIODS)}.")
    if dimension is not None and dimension not in DIMENSIONS:
        raise ValueError(f"Unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}.")
    definitions = kpi_definitions()  # the registry's KPIs and the client's custom ones
    unknown = [key for key in kpis or () if key not in definitions]
    if unknown:
        raise ValueError(f"Unknown KPI {', '.join(unknown)}.")
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime.")
    zone = current_zone_name()

    selected = [
        kpi
        for kpi in definitions.values()
        if (kpis is None or kpi.key in kpis)
        and (dimension in kpi.dimensions if dimension else not kpi.dimension_required)
    ]
    starts = period_starts(period, start, end)
    if not selected or not starts:
        return []
    sources = tuple(sorted({source for kpi in selected for source in kpi_sources(kpi)}))
    metrics = tuple(s.removeprefix(METRIC_PREFIX) for s in sources if s.startswith(METRIC_PREFIX))
    # Column 0 of the grid is the period before the first asked one (lead growth, previous values).
    first = period_shift(starts[0], period, -1)
    measures = measures_sql(kind=period, dimensions=(dimension,), sources=sources, windowed=True)
    params = {"tz": zone, "as_of": as_of, "win_lo": [first], "win_hi": [period_shift(starts[-1], period, 1)]}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT start, source, dimension, key, m0::float8, m1::float8, m2::float8, m3::float8, m4::float8 "
            f"FROM ({measures}) ms",
            params,
        )
        fetched = cursor.fetchall()
    series = sorted({(row[2], row[3]) for row in fetched}) if dimension else [("", "")]
    segment_of = {s: i for i, s in enumerate(series)}
    grid = Grid(period, first, [Segment(d, k, 0, 1, len(starts)) for d, k in series], metrics=metrics)
    grid.put_rows(
        [
            (segment_of[(d, k)], period_index(period, first, day), source, *m)
            for day, source, d, k, *m in fetched
            if (d, k) in segment_of
        ]
    )
    rows = kpi_rows(grid, selected)
    starts_of = grid.starts(rows.index)
    computed = [
        (
            starts_of[i],
            rows.dimension[i],
            rows.key[i],
            rows.kpi[i],
            *(_null(a[i]) for a in (rows.value, rows.numerator, rows.denominator)),
        )
        for i in range(len(rows))
    ]

    order = {key: i for i, key in enumerate(definitions)}
    computed.sort(key=lambda r: (order[r[3]], r[0], r[2] != "", r[2]))
    targets, amber_ratio = objective_targets(period=period, kpis=[kpi.key for kpi in selected])
    result = []
    for day, dim, key, kpi, value, numerator, denominator in computed:
        target = targets.get((kpi, dim, key))
        whole = definitions[kpi].unit == Unit.COUNT
        result.append(
            {
                "kpi": kpi,
                "period": period,
                "start": day.isoformat(),
                "dimension": dim or None,
                "key": (key or None) if dim else None,
                "value": number(value, whole=whole),
                "numerator": _integral(numerator),
                "denominator": _integral(denominator),
                "target": None if target is None else float(target),
                "status": row_status(
                    kpi=definitions[kpi],
                    value=value,
                    numerator=numerator,
                    denominator=denominator,
                    target=target,
                    amber_ratio=amber_ratio,
                ),
            }
        )
    return result
