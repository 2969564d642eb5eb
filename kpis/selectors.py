"""Reads of the KPI tables (current client). Everything the API, admin and dashboards show comes
from the snapshots, in a fixed number of queries whatever the range."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import connection
from django.db.models import Q
from django.utils import timezone

from kpis.models import KPISettings, Objective, PeriodKind, RefreshRun, Snapshot
from kpis.pacing import Pacing, pacing_compute
from kpis.registry import KPIS, Unit
from kpis.sql import quoted_table
from kpis.status import DEFAULT_AMBER_RATIO
from tenants.zones import client_zone


def local_today() -> date:
    """Today in the current client's time zone (the day its KPIs call today)."""
    return timezone.now().astimezone(client_zone(connection.tenant)).date()


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


def pacing_for(*, as_of_local: date) -> list[ObjectivePacing]:
    """Month-to-date pacing (docs/kpis.md §5) of every weekly objective on a count KPI, as of the
    local date ``as_of_local``: the day snapshots of the month so far, in one query, plus the
    objectives and the amber threshold."""
    objectives = [o for o in Objective.objects.filter(period=PeriodKind.WEEK) if KPIS[o.kpi].unit == Unit.COUNT]
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
    return [
        ObjectivePacing(
            objective=o,
            month=first,
            pacing=pacing_compute(
                weekly_target=o.target,
                as_of_local=as_of_local,
                actual_by_day=by_day.get((o.kpi, o.dimension, o.key), {}),
                amber_ratio=ratio,
            ),
        )
        for o in objectives
    ]


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
