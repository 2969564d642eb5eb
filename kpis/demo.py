"""Objectives of the demo clients (``manage.py demo_seed``): what their agency promised them, so that
the demo shows statuses and month-to-date pacing from the first page."""

from __future__ import annotations

from decimal import Decimal

from kpis.custom.services import custom_kpi_save
from kpis.models import CustomKPI, Objective
from kpis.services import objective_save

# slug → (kpi, period, dimension, key, target). Tuned on the demo data (campaigns.demo, leads.demo):
# Maison Lumière beats every target and its weekly pace; Atelier Sillon beats them but its cost per
# lead (amber, a few euros over); Vélo Nord misses its leads, MQLs and cost per lead (red) and runs
# at about half its weekly pace. demo/tests/test_demo_shapes.py holds them to it.
DEMO_OBJECTIVES = {
    "maison-lumiere": [
        ("leads", "month", "", "", "180"),
        ("mqls", "month", "", "", "90"),
        ("cost_per_lead", "month", "", "", "42"),
        ("lead_to_customer_rate", "month", "", "", "0.04"),
        ("leads", "week", "channel", "paid_search", "8"),
        ("leads", "week", "channel", "organic_search", "4"),
    ],
    "atelier-sillon": [
        ("leads", "month", "", "", "100"),
        ("mqls", "month", "", "", "55"),
        ("cost_per_lead", "month", "", "", "60"),
        ("lead_to_customer_rate", "month", "", "", "0.055"),
        ("leads", "week", "channel", "organic_search", "5"),
        ("leads", "week", "channel", "email", "2.5"),
    ],
    "velo-nord": [
        ("leads", "month", "", "", "100"),
        ("mqls", "month", "", "", "30"),
        ("cost_per_lead", "month", "", "", "50"),
        ("lead_to_customer_rate", "month", "", "", "0.06"),
        ("leads", "week", "channel", "paid_social", "12"),
        ("leads", "week", "channel", "display", "9"),
    ],
}


def demo_objectives_seed(*, slug: str) -> int:
    """The demo objectives of one client (in its schema), unless it has objectives already."""
    if Objective.objects.exists():
        return 0
    for kpi, period, dimension, key, target in DEMO_OBJECTIVES[slug]:
        objective_save(kpi=kpi, period=period, dimension=dimension, key=key, target=Decimal(target))
    return len(DEMO_OBJECTIVES[slug])


MENTIONS_PER_VISITS = (
    "mentions_1000_visites",
    "Mentions pour 1 000 visites",
    "mentions * 1000 / visits",
    "count",  # a number of mentions (a ratio would read as a percentage: 4 904 %)
    "up",
)
MARGIN_PER_CUSTOMER = ("marge_par_client", "Marge par client", "(revenue - spend) / customers", "money", "up")
COST_PER_MENTION = ("cout_par_mention", "Coût par mention", "spend / mentions", "money", "down")
# slug → (key, name, formula, unit, better): the KPIs each client's manager defined over the engine's
# measures and its imported metrics (campaigns.demo.METRICS), and the objective of one of them (kpi,
# period, target), beaten by Maison Lumière (about 48 mentions per 1 000 visits against 40).
DEMO_CUSTOM_KPIS = {
    "maison-lumiere": [MENTIONS_PER_VISITS, MARGIN_PER_CUSTOMER],
    "atelier-sillon": [MARGIN_PER_CUSTOMER, MENTIONS_PER_VISITS],
    "velo-nord": [MENTIONS_PER_VISITS, COST_PER_MENTION],
}
DEMO_CUSTOM_OBJECTIVES = {"maison-lumiere": [("mentions_1000_visites", "month", "40")]}


def demo_custom_kpis_seed(*, slug: str) -> int:
    """The demo custom KPIs of one client (in its schema) and their objectives, unless it has custom
    KPIs already. Its metrics must be seeded first: a formula names only measures that exist."""
    if CustomKPI.objects.exists():
        return 0
    for key, name, formula, unit, better in DEMO_CUSTOM_KPIS[slug]:
        # Totals only: a channel's handful of customers a month would make a jumpy breakdown.
        custom_kpi_save(key=key, name=name, formula=formula, unit=unit, better=better, dimensions=[])
    for kpi, period, target in DEMO_CUSTOM_OBJECTIVES.get(slug, []):
        objective_save(kpi=kpi, period=period, target=Decimal(target))
    return len(DEMO_CUSTOM_KPIS[slug])
