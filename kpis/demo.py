"""Objectives of the demo clients (``manage.py demo_seed``): what their agency promised them, so that
the demo shows statuses and month-to-date pacing from the first page."""

from __future__ import annotations

from decimal import Decimal

from kpis.models import Objective
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
