"""The KPI engine (spec kpis.md): every KPI of the registry computed from the source data of the
current tenant, for every period whose local start date lies in ``[start, end]``.

One SQL statement per call: the facts of the sources the asked KPIs need are bucketed by local
period in the client's zone and grouped by the asked dimension (``kpis.measures``), then every KPI
is derived from those aggregates by the formulas of ``kpis.formulas`` (``kpis.derivation``), so
ratios use exactly the same base numbers as the counts. Never a query per lead, period or KPI.
Snapshots (``kpis.refresh``) run the same measures and formulas, stored.
"""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import connection

from kpis.derivation import derivation_sql, shifted
from kpis.formulas import formula_sources
from kpis.measures import measures_sql
from kpis.registry import DIMENSIONS, KPIS, REGISTRY, Unit
from kpis.selectors import objective_targets
from kpis.status import row_status

PERIODS = ("day", "week", "month", "quarter")


# --- periods -------------------------------------------------------------------------------------


def period_floor(day: date, kind: str) -> date:
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_shift(start: date, kind: str, n: int = 1) -> date:
    """The start of the period ``n`` periods after the one starting at ``start`` (n may be negative)."""
    if kind == "day":
        return start + timedelta(days=n)
    if kind == "week":
        return start + timedelta(weeks=n)
    return _add_months(start, n * (1 if kind == "month" else 3))


def period_starts(kind: str, start: date, end: date) -> list[date]:
    """Start dates of every period of ``kind`` whose start lies in ``[start, end]``."""
    first = period_floor(start, kind)
    if first < start:
        first = period_shift(first, kind)
    starts = []
    while first <= end:
        starts.append(first)
        first = period_shift(first, kind)
    return starts


# --- computation ---------------------------------------------------------------------------------


def client_zone() -> str:
    """The current client's IANA zone; fails closed outside a client."""
    tenant = getattr(connection, "tenant", None)
    zone = getattr(tenant, "time_zone", None)
    if not zone:
        raise ValueError("KPIs are computed inside a client account.")
    zoneinfo.ZoneInfo(zone)  # fail early on a bad zone
    return zone


def number(value: Decimal | None, *, whole: bool):
    """A SQL numeric as a JSON number: an int for a count, else a float."""
    if value is None:
        return None
    return int(value) if whole else float(value)


def _integral(value: Decimal | None):
    return number(value, whole=value is not None and value == value.to_integral_value())


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
    unknown = [key for key in kpis or () if key not in KPIS]
    if unknown:
        raise ValueError(f"Unknown KPI {', '.join(unknown)}.")
    if as_of.tzinfo is None:
        raise ValueError("as_of must be an aware datetime.")
    zone = client_zone()

    selected = [
        kpi
        for kpi in REGISTRY
        if (kpis is None or kpi.key in kpis)
        and (dimension in kpi.dimensions if dimension else not kpi.dimension_required)
    ]
    starts = period_starts(period, start, end)
    if not selected or not starts:
        return []
    sources = tuple(sorted({source for kpi in selected for source in formula_sources(kpi.key)}))
    if dimension is None:
        points = "SELECT s.start, ''::text AS dimension, ''::text AS key FROM unnest(%(starts)s::date[]) s(start)"
    else:
        # Keys with facts in the period, and (lead growth) keys with leads in the period before.
        points = f"""SELECT start, dimension, key FROM piv WHERE start = ANY(%(starts)s)
                     UNION SELECT {shifted("start", period, 1)}, dimension, key FROM piv
                     WHERE has_created AND {shifted("start", period, 1)} = ANY(%(starts)s)"""
    sql = derivation_sql(
        kind=period,
        kpis=selected,
        points=points,
        measures=measures_sql(kind=period, dimensions=(dimension,), sources=sources, windowed=True),
        with_trend=False,
    )
    params = {
        "tz": zone,
        "as_of": as_of,
        "starts": starts,
        # The facts of the asked periods and of the one before (lead growth).
        "win_lo": [period_shift(starts[0], period, -1)],
        "win_hi": [period_shift(starts[-1], period, 1)],
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        computed = cursor.fetchall()

    order = {kpi.key: i for i, kpi in enumerate(REGISTRY)}
    computed.sort(key=lambda r: (order[r[3]], r[0], r[2] != "", r[2]))
    targets, amber_ratio = objective_targets(period=period, kpis=[kpi.key for kpi in selected])
    result = []
    for day, dim, key, kpi, value, numerator, denominator, _previous in computed:
        target = targets.get((kpi, dim, key))
        whole = KPIS[kpi].unit == Unit.COUNT
        result.append({
            "kpi": kpi,
            "period": period,
            "start": day.isoformat(),
            "dimension": dim or None,
            "key": (key or None) if dim else None,
            "value": number(value, whole=whole),
            "numerator": _integral(numerator),
            "denominator": _integral(denominator),
            "target": None if target is None else float(target),
            "status": row_status(kpi=KPIS[kpi], value=value, numerator=numerator, denominator=denominator,
                                 target=target, amber_ratio=amber_ratio),
        })  # fmt: skip
    return result
