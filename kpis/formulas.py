"""How each KPI of the registry is computed from the measures (spec kpis.md §4), written once.

A formula is SQL over the measure names of ``kpis.measures.SOURCES``: ``{leads}`` is the period's
value, ``{prev_leads}`` the previous period's. Missing measures count 0, so a ratio whose
denominator is 0 is NULL and "a missing row means 0 (counts) or null (rates)" holds by construction.
Both the report (``kpi_report``, from the facts) and the snapshots (from the stored measures) render
these same formulas through ``kpis.derivation``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpis.measures import SOURCE_OF_MEASURE, SOURCES
from kpis.registry import KPIS


@dataclass(frozen=True)
class Formula:
    sources: tuple[str, ...]  # a breakdown row exists when one of them has the key in the period…
    value: str = ""  # a count or a sum…
    numerator: str = ""  # … or a ratio numerator ÷ denominator (NULL when the denominator is 0)
    denominator: str = ""
    previous_sources: tuple[str, ...] = ()  # … or, for these, in the previous period

    @property
    def is_ratio(self) -> bool:
        return bool(self.denominator)


def _ratio(numerator: str, denominator: str, *sources: str) -> Formula:
    return Formula(sources=sources, numerator=numerator, denominator=denominator)


def _sum(measure: str) -> Formula:
    return Formula(sources=(SOURCE_OF_MEASURE[measure],), value=f"{{{measure}}}")


FORMULAS: dict[str, Formula] = {
    "leads": _sum("leads"),
    "visits": _sum("visits"),
    "visit_to_lead_rate": _ratio("{leads}", "{visits}", "created", "traffic"),
    "spend": _sum("spend"),
    # Spend ÷ leads: no spend with at least one lead gives 0, no lead gives NULL.
    "cost_per_lead": _ratio("{spend}", "{leads}", "spend", "created"),
    "lead_growth": Formula(
        sources=("created",),
        numerator="{leads} - {prev_leads}",
        denominator="{prev_leads}",
        previous_sources=("created",),
    ),  # fmt: skip
    "paid_lead_share": _ratio("{paid_leads}", "{leads}", "created"),
    "organic_lead_share": _ratio("{leads} - {paid_leads}", "{leads}", "created"),
    "lead_to_customer_rate": _ratio("{leads_to_customer}", "{leads}", "created"),
    "customers": _sum("customers"),
    "revenue": Formula(sources=("customer",), value="{revenue}"),
    "roi": _ratio("{revenue} - {spend}", "{spend}", "customer", "spend"),
    "cta_click_rate": _ratio("{cta_clicks}", "{cta_views}", "cta"),
    "keyword_visits": _sum("keyword_visits"),
    "email_deliverability_rate": _ratio("{emails_delivered}", "{emails_sent}", "email"),
    "email_open_rate": _ratio("{email_opens}", "{emails_delivered}", "email"),
    "email_click_rate": _ratio("{email_clicks}", "{emails_delivered}", "email"),
    "email_unsubscribe_rate": _ratio("{email_unsubscribes}", "{emails_delivered}", "email"),
    "mqls": _sum("mqls"),
    "sqls": _sum("sqls"),
    "lead_to_mql_rate": _ratio("{leads_to_mql}", "{leads}", "created"),
    "mql_to_sql_rate": _ratio("{mqls_to_sql}", "{mqls}", "mql"),
    "sql_to_customer_rate": _ratio("{sqls_to_customer}", "{sqls}", "sql"),
}

assert FORMULAS.keys() == KPIS.keys(), "every KPI of the registry has exactly one formula"  # noqa: S101


def formula_sources(kpi: str) -> tuple[str, ...]:
    """Every source the KPI reads (its presence sources and the measures its formula names)."""
    formula = FORMULAS[kpi]
    text = formula.value + formula.numerator + formula.denominator
    named = {
        source
        for source in SOURCES
        for measure in SOURCES[source].measures
        if f"{{{measure}}}" in text or f"{{prev_{measure}}}" in text
    }
    return tuple(sorted(named | set(formula.sources) | set(formula.previous_sources)))
