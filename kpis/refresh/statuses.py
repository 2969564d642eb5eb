"""Targets and statuses of snapshots (docs/kpis.md §5): decided for the rows a refresh derives, and
re-applied to stored rows when objectives or the amber threshold change."""

from __future__ import annotations

import math

import numpy as np
from django.db.models import Q

from kpis.custom.definitions import kpi_definitions
from kpis.models import Objective, Snapshot, Status
from kpis.registry import KPI
from kpis.sql import quoted_table
from kpis.status import row_status

STATUSES = Status.values  # codes 1, 2, 3 (0: none): green, amber, red


def targets_and_statuses(rows, targets: dict, *, ratio, kpi: KPI) -> tuple[np.ndarray, np.ndarray]:
    """The target (NaN: none) and status code of each row of one KPI."""
    count = len(rows)
    target, status = np.full(count, np.nan), np.zeros(count, dtype=np.int16)
    scoped = {(d, k): t for (name, d, k), t in targets.items() if name == kpi.key}
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
            kpi=kpi,
            value=value,
            numerator=numerator,
            denominator=denominator,
            target=objective,
            amber_ratio=ratio,
        )
        status[i] = 0 if decided is None else STATUSES.index(decided) + 1
    return target, status


def snapshot_statuses_write(cursor, rows, *, ratio) -> int:
    """Write the status of each ``(id, kpi, value, numerator, denominator, target, status)`` row
    whose stored status differs; returns how many changed (objectives and settings changes)."""
    ids, statuses = [], []
    definitions = kpi_definitions()
    for pk, kpi, value, numerator, denominator, target, stored in rows:
        if kpi not in definitions:  # a custom KPI deleted since: its rows go at the next refresh
            continue
        status = row_status(
            kpi=definitions[kpi],
            value=value,
            numerator=numerator,
            denominator=denominator,
            target=target,
            amber_ratio=ratio,
        )
        if status != stored:
            ids.append(pk)
            statuses.append(status)
    if ids:
        cursor.execute(
            f"UPDATE {quoted_table(Snapshot)} s SET status = u.status, updated_at = now() "
            "FROM unnest(%(ids)s::bigint[], %(statuses)s::text[]) u(id, status) WHERE s.id = u.id",
            {"ids": ids, "statuses": statuses},
        )
    return len(ids)


def snapshot_targets_sync(cursor, *, ratio) -> int:
    """Give every snapshot the target of its objective (or none) and the status that follows, in
    set-based statements; returns how many statuses changed. Under the refresh lock."""
    snapshot, objective = quoted_table(Snapshot), quoted_table(Objective)
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
