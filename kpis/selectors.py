"""Reads of the KPI tables (current client). Everything the API, admin and dashboards show comes
from the snapshots, in a fixed number of queries whatever the range."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from kpis.custom.definitions import kpi_definitions
from kpis.grid import Grid, Segment
from kpis.measures import METRIC_PREFIX, SOURCES
from kpis.models import MEASURE_WIDTH, KPISettings, Measure, Objective, PeriodKind, RefreshRun, Snapshot
from kpis.pacing import Pacing, Projection, pacing_compute, projection_compute
from kpis.periods import period_index, period_shift
from kpis.registry import KPIS, Unit
from kpis.sql import quoted_table
from kpis.status import DEFAULT_AMBER_RATIO
from tenants.zones import client_zone


def local_today() -> date:
    """Today in the current client's time zone (the day its KPIs call today)."""
    return local_day(timezone.now())


def local_day(moment: datetime) -> date:
    """The day ``moment`` falls on in the current client's time zone."""
    return moment.astimezone(client_zone(connection.tenant)).date()


def amber_ratio() -> Decimal:
    """The client's amber threshold (docs/kpis.md §5), 0.9 until a manager sets it."""
    ratio = KPISettings.objects.values_list("amber_ratio", flat=True).first()
    return Decimal(str(DEFAULT_AMBER_RATIO)) if ratio is None else ratio


def objective_targets(*, period: str, kpis: list[str]) -> tuple[dict[tuple[str, str, str], Decimal], Decimal]:
    """``({(kpi, dimension, key): target}, amber ratio)`` of one period kind, in one query."""
    rows = list(Objective.objects.filter(period=period, kpi__in=kpis).values_list("kpi", "dimension", "key", "target"))
    targets = {(kpi, dimension, key): target for kpi, dimension, key, target in rows}
    return targets, (amber_ratio() if targets else Decimal(str(DEFAULT_AMBER_RATIO)))


def last_refresh_as_of():
    """The as-of instant of the last refresh: every snapshot is valid then (None before the first)."""
    return RefreshRun.objects.order_by("-as_of").values_list("as_of", flat=True).first()


@dataclass(frozen=True)
class ObjectivePacing:
    objective: Objective
    pacing: Pacing
    month: date
    projection: Projection


def pacing_for(*, as_of_local: date) -> list[ObjectivePacing]:
    """Month-to-date pacing and month-end projection (docs/kpis.md §5) of every weekly objective on
    a count KPI, as of the local date ``as_of_local``: the day snapshots of the month so far, in one
    query, plus the objectives and the amber threshold."""
    definitions = kpi_definitions()  # built-in and custom (a weekly objective may be on either)
    objectives = [
        o
        for o in Objective.objects.filter(period=PeriodKind.WEEK)
        if o.kpi in definitions and definitions[o.kpi].unit == Unit.COUNT
    ]
    first = as_of_local.replace(day=1)
    by_day: dict[tuple[str, str, str], dict[date, float]] = {}
    if objectives:
        scope = Q()
        for o in objectives:
            scope |= Q(kpi=o.kpi, dimension=o.dimension, key=o.key)
        days = Snapshot.objects.filter(scope, period="day", start__range=(first, as_of_local))
        for kpi, dimension, key, start, value in days.values_list("kpi", "dimension", "key", "start", "value"):
            by_day.setdefault((kpi, dimension, key), {})[start] = value
    ratio = amber_ratio() if objectives else DEFAULT_AMBER_RATIO
    result = []
    for o in objectives:
        given = {
            "weekly_target": o.target,
            "as_of_local": as_of_local,
            "actual_by_day": by_day.get((o.kpi, o.dimension, o.key), {}),
            "amber_ratio": ratio,
            "better": definitions[o.kpi].better,  # a custom count KPI may be better down
        }
        result.append(
            ObjectivePacing(
                objective=o, month=first, pacing=pacing_compute(**given), projection=projection_compute(**given)
            )
        )
    return result


PAGE_COLUMNS = (
    "kpi",
    "period",
    "start",
    "dimension",
    "key",
    "value",
    "numerator",
    "denominator",
    "previous_value",
    "change",
    "target",
    "status",
    "anomaly",
    "is_partial",
    "as_of",
    "definition_version",
)


def snapshot_page_json(
    *,
    period: str,
    start: date,
    end: date,
    kpis: list[str] | None,
    dimension: str | None,
    keys: list[str] | None,
    anomalies_only: bool,
    limit: int,
    offset: int,
) -> tuple[str, bool]:
    """One page of snapshots as the API shows them, as JSON, in ONE query: plain tuples (dates and
    instants already text) straight into the C JSON encoder, no model instances (a 12-month range
    answers in a few milliseconds). Returns the JSON array and whether more rows follow."""
    table = quoted_table(Snapshot)
    conditions = ["period = %(period)s", "start BETWEEN %(start)s AND %(end)s", "dimension = %(dimension)s"]
    if kpis:
        conditions.append("kpi = ANY(%(kpis)s)")
    if keys is not None:
        conditions.append("key = ANY(%(keys)s)")
    if anomalies_only:
        conditions.append("anomaly IS NOT NULL")
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT kpi, period, start::text, NULLIF(dimension, ''), NULLIF(key, ''), value, numerator, denominator,
                       previous_value, change, target, status, anomaly, is_partial,
                       to_char(as_of AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'), definition_version,
                       baseline_median, baseline_low, baseline_high
                FROM {table} WHERE {" AND ".join(conditions)}
                ORDER BY kpi, dimension, key, start LIMIT %(limit)s OFFSET %(offset)s""",  # noqa: S608
            {
                "period": period,
                "start": start,
                "end": end,
                "dimension": dimension or "",
                "kpis": kpis,
                "keys": keys,
                "limit": limit + 1,
                "offset": offset,
            },
        )
        fetched = cursor.fetchall()
    rows = []
    for row in fetched[:limit]:
        item = dict(zip(PAGE_COLUMNS, row, strict=False))
        if item["anomaly"]:
            item["anomaly"] = {"direction": item["anomaly"], "median": row[16], "low": row[17], "high": row[18]}
        rows.append(item)
    return json.dumps(rows), len(fetched) > limit


def range_kpis(
    *,
    period: str,
    first: date,
    last: date,
    kpis: list[str],
    dimensions: tuple[str, ...] = ("",),
    key: str | None = None,
    previous: bool = True,
) -> dict[tuple[str, str, str], dict]:
    """KPIs over the periods ``first``…``last`` (their starts) taken as ONE period, in ONE query: the
    stored measures (``Measure``, as of the last refresh, like the snapshots) summed over the range
    and, with ``previous``, over the range of the same length just before, then derived by the
    formulas of ``kpis.formulas`` on a two-column grid (``kpis.grid``). So counts and money are
    sums, a rate is its summed numerator ÷ summed denominator (never an average of rates) and lead
    growth compares the range with the one before: the same formulas as every snapshot.

    Rows of the ``dimensions`` asked ("" is the total), only ``key`` when given; a keyed row exists
    where the key has data in the range (docs/kpis.md §1), and always for ``key`` (a count of 0).
    Returns ``{(kpi, dimension, key): {"kpi", "dimension", "key", "value", "numerator",
    "denominator", "previous_value"}}`` (null for a NaN: a ratio over a denominator of 0)."""
    length = period_index(period, first, last) + 1
    before = period_shift(first, period, -length) if previous else first
    conditions = ["period = %(period)s", "start BETWEEN %(before)s AND %(last)s", "dimension = ANY(%(dimensions)s)"]
    if key is not None:
        conditions.append("key = %(key)s")
    sums = ", ".join(f"SUM(m{i})::float8" for i in range(MEASURE_WIDTH))
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT dimension, key, (start >= %(first)s)::int AS col, source, {sums}
                FROM {quoted_table(Measure)} WHERE {" AND ".join(conditions)}
                GROUP BY dimension, key, col, source""",  # noqa: S608 (the code's own identifiers only)
            {
                "period": period,
                "before": before,
                "first": first,
                "last": last,
                "dimensions": list(dimensions),
                "key": key,
            },
        )
        fetched = [row for row in cursor.fetchall() if row[3] in SOURCES or row[3].startswith(METRIC_PREFIX)]
    # the imported metrics in the range (a custom KPI may read them)
    metrics = tuple(sorted({row[3].removeprefix(METRIC_PREFIX) for row in fetched if row[3] not in SOURCES}))
    series = {(d, k) for d, k, *_rest in fetched}
    series |= {(d, key) for d in dimensions if key is not None} | ({("", "")} if "" in dimensions else set())
    ordered = sorted(series)
    segment_of = {s: i for i, s in enumerate(ordered)}
    # Column 0: the range before; column 1: the range. Only column 1 is read back.
    grid = Grid(period, before, [Segment(d, k, 0, 1, 1) for d, k in ordered], metrics=metrics)
    grid.put_rows([(segment_of[(d, k)], col, source, *m) for d, k, col, source, *m in fetched])

    def null(array, i):
        return None if array is None or array[i, 1] != array[i, 1] else float(array[i, 1])

    result = {}
    definitions = kpi_definitions() if any(k not in KPIS for k in kpis) else KPIS
    for kpi_key in kpis:
        kpi = definitions[kpi_key]
        derived = grid.derive(kpi)
        for i, (d, k) in enumerate(ordered):
            if not derived.present[i, 1] and not (key is not None and d and d in kpi.dimensions):
                continue
            result[(kpi_key, d, k)] = {
                "kpi": kpi_key,
                "dimension": d,
                "key": k,
                "value": null(derived.value, i),
                "numerator": null(derived.numerator, i),
                "denominator": null(derived.denominator, i),
                "previous_value": null(derived.previous, i) if previous else None,
            }
    return result
