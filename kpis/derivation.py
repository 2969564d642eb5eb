"""KPI rows from measures, in one SQL statement (the formulas of ``kpis.formulas``).

The statement pivots long measure rows ``(start, source, dimension, key, m0…m4)`` into one row per
point ``(start, dimension, key)`` with a named column per measure, joins each point to its previous
period (and the one before, for trends), and expands every point into the KPI rows that exist for
it (``CROSS JOIN LATERAL (VALUES …)``): totals for every point of the total, breakdown rows where
a source of the KPI has the key (spec kpis.md §1 "Dimensions").
"""

from __future__ import annotations

import re

from kpis.formulas import FORMULAS
from kpis.measures import SOURCES
from kpis.registry import KPI

# SQL of one period step of each kind (kinds come from kpis.engine.PERIODS, never from users).
STEP = {"day": "interval '1 day'", "week": "interval '7 days'", "month": "interval '1 month'",
        "quarter": "interval '3 months'"}  # fmt: skip
_PLACEHOLDER = re.compile(r"\{(prev_)?(\w+)\}")


def shifted(column: str, kind: str, steps: int) -> str:
    """``column`` (a date) moved by ``steps`` periods of ``kind``, in SQL."""
    if steps == 0:
        return column
    return f"({column} {'+' if steps > 0 else '-'} {abs(steps)} * {STEP[kind]})::date"


def pivot_sql(measures: str) -> str:
    columns = []
    for source in SOURCES.values():
        columns += [f"max(m{i}) FILTER (WHERE source = '{source.name}') AS {name}"
                    for i, name in enumerate(source.measures)]  # fmt: skip
        columns.append(f"bool_or(source = '{source.name}') AS has_{source.name}")
    return f"SELECT start, dimension, key, {', '.join(columns)} FROM ({measures}) ms GROUP BY start, dimension, key"


def _render(template: str, current: str, previous: str) -> str:
    def column(match: re.Match) -> str:
        return f"COALESCE({previous if match.group(1) else current}.{match.group(2)}, 0)"

    return _PLACEHOLDER.sub(column, template)


def _value(kpi: str, current: str, previous: str) -> tuple[str, str, str]:
    """(value, numerator, denominator) SQL of ``kpi`` for the period whose pivot row is ``current``."""
    formula = FORMULAS[kpi]
    if not formula.is_ratio:
        return f"({_render(formula.value, current, previous)})::numeric", "NULL::numeric", "NULL::numeric"
    numerator = f"({_render(formula.numerator, current, previous)})::numeric"
    denominator = f"({_render(formula.denominator, current, previous)})::numeric"
    return f"{numerator} / NULLIF({denominator}, 0)", numerator, denominator


def _kpi_row(kpi: KPI, *, with_trend: bool) -> str:
    formula = FORMULAS[kpi.key]
    value, numerator, denominator = _value(kpi.key, "c", "p")
    previous = _value(kpi.key, "p", "q")[0] if with_trend else "NULL::numeric"
    has = [f"COALESCE(c.has_{s}, false)" for s in formula.sources]
    has += [f"COALESCE(p.has_{s}, false)" for s in formula.previous_sources]
    present = []
    if not kpi.dimension_required:
        present.append("pt.dimension = ''")
    if kpi.dimensions:
        allowed = ", ".join(f"'{d}'" for d in kpi.dimensions)
        present.append(f"(pt.dimension IN ({allowed}) AND ({' OR '.join(has)}))")
    return f"('{kpi.key}', {' OR '.join(present) or 'false'}, {value}, {numerator}, {denominator}, {previous})"


def derivation_sql(*, kind: str, kpis: list[KPI], points: str, measures: str, with_trend: bool) -> str:
    """Rows ``(start, dimension, key, kpi, value, numerator, denominator, previous)`` for every point
    of ``points`` (SQL with columns start, dimension, key; it may read the CTE ``piv``) and every KPI
    of ``kpis`` that exists there. ``measures`` is SQL of long measure rows covering the points and,
    for the previous-period joins, the one (and with ``with_trend`` two) periods before each."""
    rows = ",\n            ".join(_kpi_row(kpi, with_trend=with_trend) for kpi in kpis)
    join = "LEFT JOIN piv {a} ON {a}.start = {start} AND {a}.dimension = pt.dimension AND {a}.key = pt.key"
    joins = [join.format(a="c", start="pt.start"), join.format(a="p", start=shifted("pt.start", kind, -1))]
    if with_trend:
        joins.append(join.format(a="q", start=shifted("pt.start", kind, -2)))
    return f"""
        WITH piv AS MATERIALIZED ({pivot_sql(measures)}),
        pts AS ({points})
        SELECT pt.start, pt.dimension, pt.key, k.kpi, k.value, k.numerator, k.denominator, k.previous
        FROM pts pt {" ".join(joins)}
        CROSS JOIN LATERAL (VALUES
            {rows}
        ) AS k(kpi, present, value, numerator, denominator, previous)
        WHERE k.present"""
