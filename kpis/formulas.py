"""How each KPI of the registry is computed from the measures (docs/kpis.md §4), written once.

Every KPI is a linear form of the measures of ``kpis.measures.SOURCES`` (``leads``, ``prev_leads``
for the previous period's, …), or a ratio of two. Missing measures count 0, so a ratio whose
denominator is 0 is null and "a missing row means 0 (counts) or null (rates)" holds by
construction. Both the report (``kpi_report``, from the facts) and the snapshots (from the stored
measures) evaluate these same formulas through ``kpis.grid``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpis.measures import SOURCE_OF_MEASURE
from kpis.registry import KPIS

Terms = tuple[tuple[str, int], ...]  # (measure, coefficient); "prev_<measure>": the previous period's


@dataclass(frozen=True)
class Formula:
    """A KPI as linear forms of measures: a count or sum (``value``), or ``numerator ÷ denominator``
    (NULL when the denominator is 0)."""

    sources: tuple[str, ...]  # a breakdown row exists when one of them has the key in the period…
    value: Terms = ()
    numerator: Terms = ()
    denominator: Terms = ()
    previous_sources: tuple[str, ...] = ()  # … or, for these, in the previous period

    @property
    def is_ratio(self) -> bool:
        return bool(self.denominator)

    def measures(self) -> set[str]:
        return {name.removeprefix("prev_") for name, _c in self.value + self.numerator + self.denominator}


def _terms(text: str) -> Terms:
    """``"revenue - spend"`` → ``(("revenue", 1), ("spend", -1))``."""
    terms, sign = [], 1
    for word in text.split():
        if word in "+-":
            sign = 1 if word == "+" else -1
        else:
            terms.append((word, sign))
            sign = 1
    return tuple(terms)


def _ratio(numerator: str, denominator: str, *sources: str) -> Formula:
    return Formula(sources=sources, numerator=_terms(numerator), denominator=_terms(denominator))


def _sum(measure: str) -> Formula:
    return Formula(sources=(SOURCE_OF_MEASURE[measure],), value=_terms(measure))


FORMULAS: dict[str, Formula] = {
    "leads": _sum("leads"),
    "visits": _sum("visits"),
    "visit_to_lead_rate": _ratio("leads", "visits", "created", "traffic"),
    "spend": _sum("spend"),
    # Spend ÷ leads: no spend with at least one lead gives 0, no lead gives NULL.
    "cost_per_lead": _ratio("spend", "leads", "spend", "created"),
    "lead_growth": Formula(
        sources=("created",),
        numerator=_terms("leads - prev_leads"),
        denominator=_terms("prev_leads"),
        previous_sources=("created",),
    ),
    "paid_lead_share": _ratio("paid_leads", "leads", "created"),
    "organic_lead_share": _ratio("leads - paid_leads", "leads", "created"),
    "lead_to_customer_rate": _ratio("leads_to_customer", "leads", "created"),
    "customers": _sum("customers"),
    "revenue": _sum("revenue"),
    "roi": _ratio("revenue - spend", "spend", "customer", "spend"),
    # The cost of each stage reached in the period (spend ÷ stage reaches, same rule as cost per lead).
    "cost_per_mql": _ratio("spend", "mqls", "spend", "mql"),
    "cost_per_sql": _ratio("spend", "sqls", "spend", "sql"),
    "cost_per_customer": _ratio("spend", "customers", "spend", "customer"),
    "cta_click_rate": _ratio("cta_clicks", "cta_views", "cta"),
    "keyword_visits": _sum("keyword_visits"),
    "email_deliverability_rate": _ratio("emails_delivered", "emails_sent", "email"),
    "email_open_rate": _ratio("email_opens", "emails_delivered", "email"),
    "email_click_rate": _ratio("email_clicks", "emails_delivered", "email"),
    "email_unsubscribe_rate": _ratio("email_unsubscribes", "emails_delivered", "email"),
    "mqls": _sum("mqls"),
    "sqls": _sum("sqls"),
    "lead_to_mql_rate": _ratio("leads_to_mql", "leads", "created"),
    "mql_to_sql_rate": _ratio("mqls_to_sql", "mqls", "mql"),
    "sql_to_customer_rate": _ratio("sqls_to_customer", "sqls", "sql"),
}

assert FORMULAS.keys() == KPIS.keys(), "every KPI of the registry has exactly one formula"  # noqa: S101


def formula_sources(kpi: str) -> tuple[str, ...]:
    """Every source the KPI reads (its presence sources and the measures its formula names)."""
    formula = FORMULAS[kpi]
    named = {SOURCE_OF_MEASURE[m] for m in formula.measures()}
    return tuple(sorted(named | set(formula.sources) | set(formula.previous_sources)))
