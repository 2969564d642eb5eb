"""Writes of the KPI tables (current client): objectives, settings, refresh requests."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.db import connection, transaction
from django.utils.translation import gettext as _

from config.enqueue import Sending, task_send_on_commit
from config.errors import DomainError
from kpis.custom.definitions import kpi_definition
from kpis.models import DirtyDay, KPISettings, Objective, PeriodKind, Snapshot
from kpis.refresh.lock import TARGETS_MARK, refresh_lock
from kpis.refresh.statuses import snapshot_statuses_write
from kpis.selectors import amber_ratio


def _target(value) -> Decimal:
    try:
        target = Decimal(str(value).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field="target") from None
    if not target.is_finite() or target < 0:
        raise DomainError(_("A target is a number of at least 0."), field="target")
    if target.as_tuple().exponent < -6 or abs(target) >= 10**12:
        raise DomainError(_("A target has at most 12 digits before and 6 after the decimal point."), field="target")
    return target


def objective_validate(*, kpi: str, period: str, dimension: str, key: str, target) -> dict:
    """Plain, checked values of an objective (domain errors name the field)."""
    definition = kpi_definition(kpi)
    if definition is None:
        raise DomainError(_("Unknown KPI “%(kpi)s”.") % {"kpi": kpi}, field="kpi")
    if period not in PeriodKind.values:
        raise DomainError(_("Choose day, week, month or quarter."), field="period")
    dimension, key = (dimension or "").strip(), (key or "").strip()
    if dimension and dimension not in definition.dimensions:
        raise DomainError(
            _("%(kpi)s cannot be broken down by %(dimension)s.") % {"kpi": kpi, "dimension": dimension},
            field="dimension",
        )
    if not dimension and definition.dimension_required:
        message = _("%(kpi)s exists only per %(dimension)s.") % {"kpi": kpi, "dimension": definition.dimensions[0]}
        raise DomainError(message, field="dimension")
    if key and not dimension:
        raise DomainError(_("A key needs a dimension."), field="key")
    if dimension == "keyword":
        key = key.lower()
    return {"kpi": kpi, "period": period, "dimension": dimension, "key": key, "target": _target(target)}


def _after_the_refresh() -> None:
    """A refresh holds the client's lock: a write never waits for it (a refresh may take a minute,
    longer than a web request may). Its objectives or settings are saved; the next refresh re-applies
    every target and status (``kpis.refresh.lock.TARGETS_MARK``): one is queued now (it retries until the
    running one is done), else beat's within 15 minutes."""
    DirtyDay.objects.create(source=TARGETS_MARK, day=None)
    kpi_refresh_request()


def _targets_apply(*, kpi: str, period: str, dimension: str, key: str, target: Decimal | None) -> None:
    """Put an objective's target (or none) on its snapshots and bring their statuses up to date, now
    or, while a refresh runs, right after it."""
    rows = Snapshot.objects.filter(kpi=kpi, period=period, dimension=dimension, key=key)
    with connection.cursor() as cursor:
        if not refresh_lock(cursor, wait=False):
            _after_the_refresh()
            return
        rows.update(target=None if target is None else float(target))
        snapshot_statuses_write(
            cursor,
            rows.values_list("pk", "kpi", "value", "numerator", "denominator", "target", "status"),
            ratio=amber_ratio(),
        )


@transaction.atomic
def objective_save(objective: Objective | None = None, /, **changes) -> Objective:
    """Create an objective or change one; its snapshots take the new target and status at once."""
    current = {f: getattr(objective, f) for f in ("kpi", "period", "dimension", "key", "target")} if objective else {}
    values = objective_validate(**{"dimension": "", "key": "", **current, **changes})
    scope = {f: values[f] for f in ("kpi", "period", "dimension", "key")}
    clash = Objective.objects.filter(**scope)
    if objective is not None:
        clash = clash.exclude(pk=objective.pk)
    if clash.exists():
        raise DomainError(_("This KPI already has an objective for this period and key."), field="kpi")
    if objective is not None and any(current[f] != scope[f] for f in scope):
        _targets_apply(**{f: current[f] for f in scope}, target=None)
    objective = objective or Objective()
    for field, value in values.items():
        setattr(objective, field, value)
    objective.save()
    _targets_apply(**scope, target=objective.target)
    return objective


@transaction.atomic
def objective_delete(objective: Objective, /) -> None:
    scope = {f: getattr(objective, f) for f in ("kpi", "period", "dimension", "key")}
    objective.delete()
    _targets_apply(**scope, target=None)


def kpi_settings() -> KPISettings:
    return KPISettings.objects.first() or KPISettings.objects.create()


@transaction.atomic
def amber_ratio_checked(amber_ratio) -> Decimal:
    """The amber threshold's rule, for the API and the admin: a fraction from 0 to 1, 3 decimals at most."""
    try:
        ratio = Decimal(str(amber_ratio).strip().replace(",", "."))
    except (InvalidOperation, ValueError):
        raise DomainError(_("Enter a number."), field="amber_ratio") from None
    if not ratio.is_finite() or not 0 <= ratio <= 1 or ratio.as_tuple().exponent < -3:
        raise DomainError(_("The amber threshold is a number from 0 to 1 (at most 3 decimals)."), field="amber_ratio")
    return ratio


def kpi_settings_update(*, amber_ratio) -> KPISettings:
    """Change the amber threshold; every status is recomputed with it (after a running refresh)."""
    ratio = amber_ratio_checked(amber_ratio)
    row = kpi_settings()
    row.amber_ratio = ratio
    row.save()
    rows = Snapshot.objects.filter(target__isnull=False)
    with connection.cursor() as cursor:
        if not refresh_lock(cursor, wait=False):
            _after_the_refresh()
            return row
        snapshot_statuses_write(
            cursor, rows.values_list("pk", "kpi", "value", "numerator", "denominator", "target", "status"), ratio=ratio
        )
    return row


def kpi_refresh_request(*, full: bool = False, force: bool = False) -> Sending | None:
    """Refresh the current client's snapshots in a worker once the current transaction commits.
    Imports and bulk writes call it so that their numbers show within seconds rather than at the
    next 15-minute tick (``POULS_KPI_REFRESH_AFTER_WRITES``); ``force``: someone asked for it.

    With the queue down the write still stands: its dirty days wait for the next periodic refresh
    (``kpis.refresh_due``), and a full refresh asked for marks everything dirty so that one is full.
    Returns how the sending went (None when nothing was sent)."""
    if not (force or settings.POULS_KPI_REFRESH_AFTER_WRITES):
        return None
    from kpis.tasks import kpi_snapshot_refresh_task

    def unsent() -> None:
        if full:
            DirtyDay.objects.create(source=None, day=None)

    return task_send_on_commit(kpi_snapshot_refresh_task, kwargs={"full": full}, on_failure=unsent)


def days_dirty(source: str, days) -> int:
    """Mark ``days`` of the measure source ``source`` (traffic, keyword, spend…) changed in the current
    client, whether or not a fact row changed on them: a connector's coverage moved over them, so the
    imported rows there stop (or start) counting. One insert; returns how many days were marked."""
    marks = [DirtyDay(source=source, day=day) for day in days]
    DirtyDay.objects.bulk_create(marks)
    return len(marks)
