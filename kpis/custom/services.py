"""Custom KPIs: the one rule that checks a definition (``custom_kpi_validate``: the API's serializer
and the admin's form both call it) and the writes (docs/kpis.md, "Custom KPIs and metrics").

A change that alters numbers (formula, dimensions, unit, better direction) marks every day dirty, so
the next refresh is a full one: it derives the KPI everywhere under its new definition, replaces the
snapshots of the older version and drops those of removed breakdowns. Renaming changes no number."""

from __future__ import annotations

import re

from django.db import connection, transaction
from django.utils.translation import gettext as _

from config.errors import DomainError
from kpis.custom.definitions import custom_kpis_forget
from kpis.custom.parser import FormulaError, formula_measures, formula_names, formula_parse, formula_sql
from kpis.measures import SOURCE_OF_MEASURE, metric_names, metric_source, source_dimensions
from kpis.models import CustomKPI, DirtyDay, Objective, Snapshot
from kpis.refresh.lock import refresh_lock
from kpis.registry import DIMENSIONS, KPIS, Better, Unit

KEY_MAX_LENGTH = 40
# Each custom KPI is derived for every period and key by every refresh and has a card: a bounded set.
MAX_CUSTOM_KPIS = 50
NAME_MAX_LENGTH = 200
_KEY = re.compile(r"[a-z][a-z0-9_]*")
# Fields whose change alters the numbers or statuses of the snapshots (a full refresh follows).
DERIVING = ("formula", "unit", "better", "dimensions")


def known_measures() -> list[str]:
    """The names a formula may use: the engine's measures, then the client's imported metrics."""
    return [*SOURCE_OF_MEASURE, *metric_names()]


def formula_dimensions(measures: list[str]) -> tuple[str, ...]:
    """The breakdowns every one of ``measures`` allows (an imported metric allows none)."""
    allowed = set(DIMENSIONS)
    for name in measures:
        allowed &= set(source_dimensions(SOURCE_OF_MEASURE.get(name) or metric_source(name)))
    return tuple(d for d in DIMENSIONS if d in allowed)


def formula_canonical(text: str) -> str:
    """A formula written one way (spaces and case do not count): two texts with the same canonical
    form are the same definition."""
    return formula_sql(formula_parse(text), lambda name: name)


def _key(value, instance: CustomKPI | None) -> str:
    key = str(value or "").strip().lower()
    if instance is not None:
        if key and key != instance.key:
            message = _("A custom KPI's key cannot be changed: its snapshots and objectives use it.")
            raise DomainError(message, field="key")
        return instance.key
    if not key:
        raise DomainError(_("A key is required."), field="key")
    if CustomKPI.objects.count() >= MAX_CUSTOM_KPIS:
        message = _("A client account has at most %(max)d custom KPIs: delete one first.") % {"max": MAX_CUSTOM_KPIS}
        raise DomainError(message, field="key")
    if len(key) > KEY_MAX_LENGTH or not (key.isascii() and _KEY.fullmatch(key)):
        raise DomainError(
            _("A KPI key starts with a letter and uses lower-case letters, digits and '_' (at most %(max)d).")
            % {"max": KEY_MAX_LENGTH},
            field="key",
        )
    if key in KPIS:
        raise DomainError(_("'%(key)s' is a built-in KPI: choose another key.") % {"key": key}, field="key")
    if CustomKPI.objects.filter(key=key).exists():
        raise DomainError(_("A custom KPI already has this key."), field="key")
    return key


def _dimensions(value, allowed: tuple[str, ...], measures: list[str]) -> list[str]:
    if value is None:
        return list(allowed)
    chosen = [str(d).strip() for d in value]
    for dimension in chosen:
        if dimension not in allowed:
            raise DomainError(
                _("%(measures)s cannot be broken down by '%(dimension)s' (possible: %(allowed)s).")
                % {
                    "measures": ", ".join(measures),
                    "dimension": dimension,
                    "allowed": ", ".join(allowed) or _("none, the total only"),
                },
                field="dimensions",
            )
    return [d for d in allowed if d in chosen]


def custom_kpi_validate(
    *,
    key=None,
    name=None,
    formula=None,
    unit=None,
    better=None,
    dimensions=None,
    every_dimension: bool = False,
    instance: CustomKPI | None = None,
) -> dict:
    """Plain, checked values of a custom KPI (a new one, or ``instance`` changed: absent values keep
    its own). Errors are ``DomainError`` on their field; a formula's names its position:
    ``position 7: unknown measure 'sqlz'``. ``dimensions`` None: every breakdown the measures allow
    for a new KPI, those it had that the measures still allow for a change (``every_dimension``: all
    they allow, as the admin's form means by none ticked)."""
    key = _key(key, instance)
    name = str(name if name is not None else (instance.name if instance else "")).strip()
    if not name:
        raise DomainError(_("A name is required."), field="name")
    if len(name) > NAME_MAX_LENGTH:
        raise DomainError(_("Use at most %(max)d characters.") % {"max": NAME_MAX_LENGTH}, field="name")
    text = str(formula if formula is not None else (instance.formula if instance else ""))
    try:
        tree = formula_parse(text, names=formula_names(known_measures()))
    except FormulaError as exc:
        raise DomainError(exc.message, field="formula") from None
    measures = formula_measures(tree)
    if not measures:
        raise DomainError(_("position 1: a formula names at least one measure"), field="formula")
    unit = str(unit if unit is not None else (instance.unit if instance else "")).strip()
    if unit not in {u.value for u in Unit}:
        raise DomainError(_("Choose count, money, rate or ratio."), field="unit")
    better = str(better if better is not None else (instance.better if instance else Better.UP)).strip()
    if better not in {b.value for b in Better}:
        raise DomainError(_("Choose up, down or none."), field="better")
    allowed = formula_dimensions(measures)
    if dimensions is None and instance is not None and not every_dimension:
        dimensions = [d for d in instance.dimensions if d in allowed]
    return {
        "key": key,
        "name": name,
        "formula": text.strip(),
        "unit": unit,
        "better": better,
        "dimensions": _dimensions(dimensions, allowed, measures),
    }


def _everything_dirty() -> None:
    """The next refresh is a full one (kpis.refresh); one is queued now."""
    from kpis.services import kpi_refresh_request

    DirtyDay.objects.create(source=None, day=None)
    kpi_refresh_request()


@transaction.atomic
def custom_kpi_save(instance: CustomKPI | None = None, /, **changes) -> CustomKPI:
    """Create a custom KPI or change one (``custom_kpi_validate``'s values); a new formula (not merely
    respaced) raises its version. A change to its numbers is followed by a full refresh."""
    values = custom_kpi_validate(instance=instance, **changes)
    row = instance or CustomKPI()
    deriving = instance is None or any(getattr(instance, f) != values[f] for f in DERIVING)
    if instance is not None and formula_canonical(instance.formula) != formula_canonical(values["formula"]):
        row.version = instance.version + 1
    for field, value in values.items():
        setattr(row, field, value)
    row.save()
    custom_kpis_forget()
    if deriving:
        _everything_dirty()
    return row


@transaction.atomic
def custom_kpi_delete(instance: CustomKPI, /) -> None:
    """Delete a custom KPI with its objectives and snapshots (now, or by the next refresh, a full one,
    when a refresh holds the client's lock)."""
    key = instance.key
    instance.delete()
    custom_kpis_forget()
    Objective.objects.filter(kpi=key).delete()
    with connection.cursor() as cursor:
        if refresh_lock(cursor, wait=False):
            Snapshot.objects.filter(kpi=key).delete()
            return
    _everything_dirty()
