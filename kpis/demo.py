"""Objectives of the demo clients (``manage.py demo_seed``): what their agency promised them, so that
the demo shows statuses and month-to-date pacing from the first page."""

from __future__ import annotations

from decimal import Decimal

from kpis.models import Objective
from kpis.services import objective_save

# slug → (kpi, period, dimension, key, target)
DEMO_OBJECTIVES = {
    "maison-lumiere": [
        ("leads", "month", "", "", "70"),
        ("mqls", "month", "", "", "28"),
        ("cost_per_lead", "month", "", "", "55"),
        ("lead_to_customer_rate", "month", "", "", "0.06"),
        ("leads", "week", "channel", "paid_search", "8"),
        ("leads", "week", "channel", "organic_search", "3"),
    ],
    "atelier-sillon": [
        ("leads", "month", "", "", "45"),
        ("mqls", "month", "", "", "22"),
        ("cost_per_lead", "month", "", "", "40"),
        ("lead_to_customer_rate", "month", "", "", "0.1"),
        ("leads", "week", "channel", "organic_search", "5"),
        ("leads", "week", "channel", "email", "3"),
    ],
    "velo-nord": [
        ("leads", "month", "", "", "50"),
        ("mqls", "month", "", "", "12"),
        ("cost_per_lead", "month", "", "", "35"),
        ("lead_to_customer_rate", "month", "", "", "0.05"),
        ("leads", "week", "channel", "paid_social", "5"),
        ("leads", "week", "channel", "display", "4"),
    ],
}


def demo_objectives_seed(*, slug: str) -> int:
    """The demo objectives of one client (in its schema), unless it has objectives already."""
    if Objective.objects.exists():
        return 0
    for kpi, period, dimension, key, target in DEMO_OBJECTIVES[slug]:
        objective_save(kpi=kpi, period=period, dimension=dimension, key=key, target=Decimal(target))
    return len(DEMO_OBJECTIVES[slug])
