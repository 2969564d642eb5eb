"""The agency portfolio: every client a user may see, with its headline KPIs, from the public
schema only (a fixed number of queries however many clients)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from portfolio.models import HEADLINE_KPIS, Headline, Pulse
from tenants.access import ClientAccess, clients_visible_to


@dataclass
class PortfolioRow:
    access: ClientAccess
    pulse: Pulse | None
    headlines: dict[str, list[Headline]] = field(default_factory=dict)  # kpi → months, oldest first

    @property
    def needs_attention(self) -> bool:
        return self.pulse is not None and self.pulse.needs_attention

    def latest(self, kpi: str) -> Headline | None:
        months = self.headlines.get(kpi)
        return months[-1] if months else None

    def complete_months(self, kpi: str) -> list[Headline]:
        """The months that have ended, oldest first (the one in progress left out)."""
        return [m for m in self.headlines.get(kpi, []) if not m.is_partial]

    @property
    def reported_month(self) -> date | None:
        """The month the portfolio reports, on the page and in the API alike: the last complete one
        (a month in progress is not judged against a whole month's target), the latest any headline has."""
        starts = [m.start for kpi in HEADLINE_KPIS for m in self.complete_months(kpi)]
        return max(starts, default=None)

    def reported(self, kpi: str) -> Headline | None:
        """``kpi``'s headline for the reported month (None when it has none for that month)."""
        month = self.reported_month
        return next((m for m in self.headlines.get(kpi, []) if m.start == month), None)

    def sort_key(self):
        """Worst first: red statuses, then anomalies, then the weakest pacing; never refreshed last."""
        if self.pulse is None:
            return (1, 0, 0, float("inf"), self.access.client.name)
        pacing = self.pulse.pacing if self.pulse.pacing is not None else float("inf")
        return (0, -self.pulse.red, -self.pulse.anomalies, pacing, self.access.client.name)


def portfolio_for(
    user, *, attention_only: bool = False, accesses: list[ClientAccess] | None = None, sort: str = "worst"
) -> list[PortfolioRow]:
    """``accesses``: the user's, when the caller has them already; ``sort``: worst (default) or name."""
    accesses = clients_visible_to(user) if accesses is None else accesses
    ids = [a.client.pk for a in accesses]
    pulses = {p.client_id: p for p in Pulse.objects.filter(client_id__in=ids)}
    rows = {a.client.pk: PortfolioRow(access=a, pulse=pulses.get(a.client.pk)) for a in accesses}
    for headline in Headline.objects.filter(client_id__in=ids, kpi__in=HEADLINE_KPIS).order_by("start"):
        rows[headline.client_id].headlines.setdefault(headline.kpi, []).append(headline)
    by_name = lambda row: row.access.client.name.lower()  # noqa: E731
    result = sorted(rows.values(), key=by_name if sort == "name" else PortfolioRow.sort_key)
    return [row for row in result if row.needs_attention] if attention_only else result
