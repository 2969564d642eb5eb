"""Reads behind a dashboard (current client), all from the KPI snapshots and, for a custom range,
the range's totals (``kpis.selectors.range_kpis``, the engine's formulas over the summed measures):
a fixed number of queries whatever the range, the drill-down or the number of channels."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Q, Value

from annotations.models import Annotation
from annotations.selectors import annotations_between
from campaigns.channels import channel_label
from campaigns.models import CTA, Campaign, Channel, EmailSend, LandingPage, Offer
from dashboards.state import DashboardState
from kpis.custom.definitions import kpi_definitions, kpi_is_ratio
from kpis.models import PeriodKind, Snapshot
from kpis.periods import period_index, period_shift
from kpis.selectors import ObjectivePacing, last_refresh_as_of, pacing_for, range_kpis

ROW_FIELDS = (
    "kpi",
    "start",
    "dimension",
    "key",
    "value",
    "previous_value",
    "target",
    "status",
    "anomaly",
    "baseline_low",
    "baseline_high",
    "is_partial",
)
# The breakdown charts of the focus period: which KPIs of which dimension they read.
BREAKDOWN_KPIS = {
    "channel": (
        "leads",
        "lead_to_customer_rate",
        "mqls",
        "spend",
        "cost_per_lead",
        "cost_per_mql",
        "cost_per_sql",
        "cost_per_customer",
    ),
    "campaign": ("leads", "spend", "cost_per_lead"),
    "offer": ("leads", "lead_to_mql_rate"),
    "landing_page": ("visits", "leads", "visit_to_lead_rate"),
    "cta": ("cta_click_rate",),
    "keyword": ("keyword_visits",),
    "email": ("email_deliverability_rate", "email_open_rate", "email_click_rate", "email_unsubscribe_rate"),
}
MQL_MONTHS = 12
NAMED = {
    "channel": Channel,
    "campaign": Campaign,
    "offer": Offer,
    "landing_page": LandingPage,
    "cta": CTA,
    "email": EmailSend,
}


@dataclass
class DashboardData:
    state: DashboardState
    today: date  # the client's local date
    focus: date
    first: date
    as_of: object  # the last refresh's instant, None before the first
    series: dict[str, dict[date, dict]] = field(default_factory=dict)  # kpi → start → row (the drill scope)
    breakdown: dict[tuple[str, str], dict[str, dict]] = field(default_factory=dict)  # (dim, kpi) → key → row
    mql_months: dict[str, dict[date, float | None]] = field(default_factory=dict)  # channel → month → MQLs
    pacing: list[ObjectivePacing] = field(default_factory=list)
    names: dict[tuple[str, str], str] = field(default_factory=dict)  # (dimension, key) → display name
    totals: dict[str, dict] = field(default_factory=dict)  # custom range: kpi → the range taken as one
    notes: list[Annotation] = field(default_factory=list)  # the client's notes over the charts' dates

    @property
    def over_range(self) -> bool:
        """A custom range of several periods: the cards and the charts of one period (funnel,
        breakdowns) show its totals, compared with the range of the same length before it."""
        return self.state.range == "custom" and self.first < self.focus

    @property
    def periods(self) -> int:
        return period_index(self.state.period, self.first, self.focus) + 1

    @property
    def previous_first(self) -> date:
        """The start of what the cards compare with: the previous period, or the previous range."""
        return period_shift(self.first if self.over_range else self.focus, self.state.period, -self.length)

    @property
    def length(self) -> int:
        return self.periods if self.over_range else 1

    def total(self, kpi: str) -> dict | None:
        """What a card or a one-period chart shows of ``kpi``: the focus period's snapshot, or over a
        range its totals. A range has no anomaly flag (flags judge one period against its history)
        and no status: objectives are per week, month or quarter, and a target for one period says
        nothing of a sum over several. It is in progress when its last period is."""
        if not self.over_range:
            return self.row(kpi)
        found = self.totals.get(kpi)
        if found is None:
            return None
        focus = self.row(kpi) or {}
        return dict.fromkeys(ROW_FIELDS) | found | {"start": self.first, "is_partial": bool(focus.get("is_partial"))}

    def row(self, kpi: str, start: date | None = None) -> dict | None:
        """The snapshot of ``kpi`` at ``start`` (default: the focus period). A drilled key has no
        row in a period without any of its facts: for a count or a sum that means 0, as in
        docs/kpis.md §1 (a missing row means 0 for counts, null for rates)."""
        start = start or self.focus
        found = self.series.get(kpi, {}).get(start)
        if found is not None or not self.state.dimension or kpi_is_ratio(kpi):
            return found
        previous = self.series.get(kpi, {}).get(period_shift(start, self.state.period, -1))
        return dict.fromkeys(ROW_FIELDS) | {
            "kpi": kpi,
            "start": start,
            "dimension": self.state.dimension,
            "key": self.state.key,
            "value": 0.0,
            "previous_value": previous["value"] if previous else 0.0,
            "is_partial": False,
        }

    def name(self, dimension: str, key: str) -> str:
        return self.names.get((dimension, key), key)


def _names() -> dict[tuple[str, str], str]:
    """Display names of every catalogue entry, in ONE query (a UNION of the catalogues)."""
    parts = [model.objects.annotate(d=Value(dim)).values_list("d", "key", "name") for dim, model in NAMED.items()]
    rows = parts[0].union(*parts[1:], all=True)
    return {(d, key): channel_label(key, name) if d == "channel" else name for d, key, name in rows}


def series_rows(state: DashboardState, *, first: date, focus: date) -> dict[str, dict[date, dict]]:
    """The drill scope's rows (totals, or one key of the drill dimension) over the range: ONE query."""
    rows = Snapshot.objects.filter(
        period=state.period, start__range=(first, focus), dimension=state.dimension or "", key=state.key or ""
    )
    series: dict[str, dict[date, dict]] = {}
    for row in rows.values(*ROW_FIELDS):
        series.setdefault(row["kpi"], {})[row["start"]] = row
    return series


def mql_months(state: DashboardState, *, first: date, focus: date) -> list[date]:
    """The months of the MQLs-per-channel chart: the 12 up to the focus period's last month, or a
    custom range's months (at most 36: state.MAX_PERIODS)."""
    last = focus.replace(day=1) if state.period != PeriodKind.QUARTER else period_shift(focus, PeriodKind.MONTH, 2)
    start = first.replace(day=1) if state.range == "custom" else period_shift(last, PeriodKind.MONTH, 1 - MQL_MONTHS)
    return [period_shift(start, PeriodKind.MONTH, n) for n in range(period_index(PeriodKind.MONTH, start, last) + 1)]


def notes_window(state: DashboardState, *, first: date, focus: date) -> tuple[date, date]:
    """The days the time-series charts cover: the range's periods and the MQL chart's months."""
    months = mql_months(state, first=first, focus=focus)
    last = max(period_shift(focus, state.period, 1), period_shift(months[-1], PeriodKind.MONTH, 1))
    return min(first, months[0]), last - timedelta(days=1)


def dashboard_data(state: DashboardState, *, today: date, charts: bool = True, notes: bool = False) -> DashboardData:
    """Everything a dashboard shows. Cards need the series (two queries) and, for a custom range,
    its totals (one more, whatever its length); ``charts`` adds the breakdowns of the focus period
    (of the whole range for a custom one), MQLs per channel per month, pacing and display names;
    ``notes`` the client's notes over the charts' dates (one query; in a drill-down, the whole
    account's and the drilled key's)."""
    focus, first = state.focus(today), state.first(today)
    data = DashboardData(state=state, today=today, focus=focus, first=first, as_of=last_refresh_as_of())
    data.series = series_rows(state, first=first, focus=focus)
    if notes:
        window_first, window_last = notes_window(state, first=first, focus=focus)
        data.notes = annotations_between(
            first=window_first, last=window_last, dimension=state.dimension or "", key=state.key or ""
        )
    if state.range == "custom":  # even of one period: the same queries whatever the length
        totals = range_kpis(
            period=state.period,
            first=first,
            last=focus,
            kpis=list(kpi_definitions()),  # built-in and custom
            dimensions=(state.dimension or "",),
            key=state.key or "",
        )
        data.totals = {kpi: row for (kpi, _d, _k), row in totals.items()}
    if not charts:
        return data
    if data.over_range:
        dimensions = tuple(BREAKDOWN_KPIS)
        needed = sorted({kpi for kpis in BREAKDOWN_KPIS.values() for kpi in kpis})
        rows = range_kpis(
            period=state.period, first=first, last=focus, kpis=needed, dimensions=dimensions, previous=False
        )
        for (kpi, dimension, key), row in rows.items():
            if kpi in BREAKDOWN_KPIS[dimension]:
                data.breakdown.setdefault((dimension, kpi), {})[key] = dict.fromkeys(ROW_FIELDS) | row
    else:
        scope = Q()
        for dimension, kpis in BREAKDOWN_KPIS.items():
            scope |= Q(dimension=dimension, kpi__in=kpis)
        for row in Snapshot.objects.filter(scope, period=state.period, start=focus).values(*ROW_FIELDS):
            data.breakdown.setdefault((row["dimension"], row["kpi"]), {})[row["key"]] = row
    month_starts = mql_months(state, first=first, focus=focus)
    window = (month_starts[0], month_starts[-1])
    months = Snapshot.objects.filter(period=PeriodKind.MONTH, kpi="mqls", dimension="channel", start__range=window)
    for key, start, value in months.values_list("key", "start", "value"):
        data.mql_months.setdefault(key, {})[start] = value
    data.pacing = pacing_for(as_of_local=today)
    data.names = _names()
    return data
