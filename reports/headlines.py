"""The headline KPIs a report's email carries: the agency's headline choice (the portfolio's columns,
``tenants.Agency.headline_kpis``, else Pouls' default), read from the client's snapshots of the
report's period (total row), each with its value, status and change against the previous period,
written with the dashboard's formatter in the report's language."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.utils import translation

from dashboards.formatting import Formatter
from kpis.models import Snapshot, Status
from kpis.registry import KPIS
from portfolio.models import HEADLINE_KPIS
from portfolio.selectors import agency_headline_kpis
from reports.rules import period_kind


@dataclass(frozen=True)
class HeadlineLine:
    key: str
    name: str
    value: str
    status: str | None  # green, amber, red; None without a target
    status_label: str
    change: str | None


def headline_keys(client) -> tuple[str, ...]:
    """The agency's chosen headline KPIs, in its order, or Pouls' default (as the portfolio)."""
    return agency_headline_kpis(client.agency) or HEADLINE_KPIS


def headline_lines(client, *, frequency: str, period_start: date, language: str) -> list[HeadlineLine]:
    """One line per headline KPI for the period (in the current client's schema): one query."""
    period = period_kind(frequency)
    keys = headline_keys(client)
    rows = {
        row.kpi: row
        for row in Snapshot.objects.filter(period=period, start=period_start, dimension="", key="", kpi__in=keys)
    }
    formatter = Formatter(language=language, currency=client.currency)
    lines = []
    with translation.override(language):
        for key in keys:
            kpi, row = KPIS[key], rows.get(key)
            value = row.value if row else None
            previous = row.previous_value if row else None
            status = row.status if row else None
            lines.append(
                HeadlineLine(
                    key=key,
                    name=kpi.name(language),
                    value=formatter.value(value, kpi.unit),
                    status=status,
                    status_label=str(Status(status).label) if status else "",
                    change=formatter.change(value, previous, kpi.unit),
                )
            )
    return lines
