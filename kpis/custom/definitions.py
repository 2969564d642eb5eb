"""The KPIs of the current client: the built-in ones (``kpis.registry``) and its custom ones
(``kpis.models.CustomKPI``), as ``KPI`` definitions the refresh, the API, the admin and the dashboards
read alike (docs/kpis.md, "Custom KPIs and metrics")."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import get_language

from kpis.models import CustomKPI
from kpis.registry import KPI, KPIS, REGISTRY, Better, Family, Unit


def custom_kpi_definition(row: CustomKPI) -> KPI:
    return KPI(
        key=row.key,
        family=Family.CUSTOM,
        name_fr=row.name,
        name_en=row.name,
        seed="",
        formula=row.formula,
        unit=Unit(row.unit),
        better=Better(row.better),
        dimensions=tuple(row.dimensions),
        version=row.version,
    )


CACHE = "_pouls_custom_kpis"


def custom_kpis() -> list[KPI]:
    """The current client's custom KPIs, by key: one query per client object (django-tenants loads a
    request's afresh), kept on it so that a page listing many rows reads them once. Writes
    (``kpis.custom.services``) and each refresh (``kpis.refresh.snapshots``) call ``custom_kpis_forget``:
    a refresh never works from definitions read before it started."""
    tenant = getattr(connection, "tenant", None)
    cached = getattr(tenant, CACHE, None)
    if cached is None:
        cached = [custom_kpi_definition(row) for row in CustomKPI.objects.order_by("key")]
        if tenant is not None and getattr(tenant, "schema_name", "public") != "public":
            setattr(tenant, CACHE, cached)
    return cached


def custom_kpis_forget() -> None:
    tenant = getattr(connection, "tenant", None)
    if tenant is not None and hasattr(tenant, CACHE):
        delattr(tenant, CACHE)


def kpi_definitions() -> dict[str, KPI]:
    """Every KPI of the current client by key: the registry's, then its custom ones (one query)."""
    return {**KPIS, **{kpi.key: kpi for kpi in custom_kpis()}}


def kpi_list() -> list[KPI]:
    """Every KPI of the current client in the order screens list them: the registry's, then its own."""
    return [*REGISTRY, *custom_kpis()]


def kpi_definition(key: str) -> KPI | None:
    """One KPI of the current client, built-in or custom (the custom ones read once: ``custom_kpis``)."""
    if key in KPIS:
        return KPIS[key]
    return next((kpi for kpi in custom_kpis() if kpi.key == key), None)


def kpi_name(key: str) -> str:
    """A KPI's name in the active language; a key that names no KPI (any more) is shown as it is."""
    definition = kpi_definition(key)
    return key if definition is None else definition.name(get_language())


def kpi_choices() -> list[tuple[str, str]]:
    """(key, name) of every KPI of the current client, for forms and filters."""
    language = get_language()
    return [(kpi.key, kpi.name(language)) for kpi in kpi_list()]


def kpi_is_ratio(key: str) -> bool:
    """Whether a KPI divides (its missing row is null, not 0: docs/kpis.md §1). A custom KPI does when
    its formula holds a division anywhere (with no facts its divisors are 0)."""
    from kpis.formulas import FORMULAS

    if key in FORMULAS:
        return FORMULAS[key].is_ratio
    definition = kpi_definition(key)
    return definition is not None and "/" in str(definition.formula)


def kpi_sources(kpi: KPI) -> tuple[str, ...]:
    """Every measure source a KPI reads (``kpis.measures``): a custom one's measures' sources, an
    imported metric's being ``metric:<name>``."""
    from kpis.custom.parser import formula_measures, formula_parsed
    from kpis.formulas import FORMULAS, formula_sources
    from kpis.measures import SOURCE_OF_MEASURE, metric_source

    if kpi.key in FORMULAS:
        return formula_sources(kpi.key)
    names = formula_measures(formula_parsed(str(kpi.formula)))
    return tuple(sorted({SOURCE_OF_MEASURE.get(name) or metric_source(name) for name in names}))
