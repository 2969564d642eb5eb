"""Test data of the reports app: headline snapshots of a period, and a schedule."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from kpis.models import Snapshot
from kpis.registry import DEFINITION_VERSION
from reports.models import ReportSchedule

# Pouls' default headline KPIs with values one can find in a PDF's or an email's text.
HEADLINES = {
    "leads": (1234.0, 1000.0, "green"),
    "cost_per_lead": (37.5, 40.0, "amber"),
    "lead_to_customer_rate": (0.125, 0.1, "red"),
    "mqls": (321.0, None, None),
}


def headline_snapshots(*, period: str, start: date) -> None:
    """The default headline KPIs' total rows of one week or month (in the current schema)."""
    for kpi, (value, previous, status) in HEADLINES.items():
        Snapshot.objects.create(
            kpi=kpi,
            period=period,
            start=start,
            dimension="",
            key="",
            value=value,
            previous_value=previous,
            change=None if previous is None else value - previous,
            status=status,
            as_of=timezone.now(),
            definition_version=DEFINITION_VERSION,
        )


def schedule(**fields) -> ReportSchedule:
    values = {
        "name": "Rapport hebdo",
        "frequency": "weekly",
        "language": "fr",
        "recipients": ["manager@alpha.test", "boss@client.test"],
        "sections": ["families", "pinned"],
        "created_at": timezone.now() - timedelta(days=60),
    }
    return ReportSchedule.objects.create(**(values | fields))


def english(browser):
    """``browser`` reading Pouls in English (the language switch's cookie wins over the agency's
    French): for tests that read a message in English over HTTP."""
    browser.cookies["django_language"] = "en"
    return browser
