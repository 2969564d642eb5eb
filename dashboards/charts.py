"""The dashboard's charts, built from :class:`DashboardData`: one plain description per chart that
the browser draws with Chart.js, that the data table (the chart's text alternative) lists, and
that the CSV download writes. One description, three renderings: they can never disagree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboards.formatting import NUMBER, Formatter
from dashboards.labels import anomaly_words, dimension_name, projection_words, status_words
from dashboards.selectors import DashboardData, mql_months
from dashboards.tone import tone
from kpis.models import PeriodKind
from kpis.periods import period_starts
from kpis.registry import KPIS, Unit

TOP_KEYWORDS = 10
COST_PER_STAGE = ("cost_per_lead", "cost_per_mql", "cost_per_sql", "cost_per_customer")
TEXT = "text"  # an extra table column already in words


@dataclass
class Dataset:
    label: str
    data: list
    unit: str
    type: str = "bar"  # bar or line (a line over bars reads as a rate on the right axis)
    axis: str = "y"  # y (left) or y2 (right)
    anomalies: list | None = None  # per point: None, "up" or "down"
    tones: list | None = None  # per anomaly: "good", "bad" or "neutral" (dashboards.tone): good news is not red
    stack: str | None = None
    marker: bool = False  # drawn as a thin bar over the others (a bullet chart's target)
    statuses: list | None = None  # per point: "green", "amber", "red" or None: the bar takes the status colour


@dataclass
class Chart:
    id: str
    kind: str  # bar, hbar, line, doughnut, stacked, table
    label_title: str  # heading of the first column of the data table
    labels: list[str] = field(default_factory=list)
    datasets: list[Dataset] = field(default_factory=list)
    description: str = ""  # the formulas behind it, from the registry
    drill_dimension: str | None = None
    drill_keys: list[str] = field(default_factory=list)
    # A time series: each label's period start (ISO, never localised) and the kind of its periods, so
    # the browser marks the client's notes on it (dashboards.notes).
    starts: list[str] = field(default_factory=list)
    step: str | None = None
    selected: str | None = None  # the drill key shown, highlighted
    note: str | None = None
    extra_columns: list[tuple[str, list, str]] = field(default_factory=list)  # (title, values, unit or "text")
    lines: list[dict] = field(default_factory=list)  # {"text", "status"}: a sentence per label, shown under the chart

    @property
    def title(self) -> str:
        return str(CHART_TITLES[self.id])

    @property
    def is_empty(self) -> bool:
        return not self.labels or all(v is None for d in self.datasets for v in d.data)


def _kpi_label(kpi: str, language: str) -> str:
    return KPIS[kpi].name(language)


def _describe(*kpis: str, language: str) -> str:
    separator = " : " if language == "fr" else ": "
    return " ".join(f"{_kpi_label(k, language)}{separator}{KPIS[k].formula}" for k in kpis)


def _value(row: dict | None):
    return None if row is None else row["value"]


def _not_filtered(data: DashboardData, dimension: str) -> str | None:
    """The note on a breakdown the drill-down cannot filter (snapshots are one dimension at a time)."""
    if data.state.dimension and data.state.dimension != dimension:
        return _("Whole account: this chart does not split by %(dimension)s.") % {
            "dimension": dimension_name(data.state.dimension)
        }
    return None


def _ranked_keys(data: DashboardData, dimension: str, kpi: str, limit: int | None = None) -> list[str]:
    rows = data.breakdown.get((dimension, kpi), {})
    keys = sorted(rows, key=lambda k: (-(rows[k]["value"] or 0), data.name(dimension, k)))
    return keys[:limit] if limit else keys


def _breakdown(data: DashboardData, dimension: str, keys: list[str], kpi: str) -> list:
    rows = data.breakdown.get((dimension, kpi), {})
    return [_value(rows.get(k)) for k in keys]


def _key_labels(data: DashboardData, dimension: str, keys: list[str]) -> list[str]:
    return [data.name(dimension, k) if k else _("(none)") for k in keys]


def leads_and_visits(data: DashboardData, language: str, fmt: Formatter) -> Chart:
    starts = period_starts(data.state.period, data.first, data.focus)

    def dataset(kpi: str, kind: str, axis: str) -> Dataset:
        rows = [data.row(kpi, s) for s in starts]
        return Dataset(
            _kpi_label(kpi, language),
            [_value(r) for r in rows],
            KPIS[kpi].unit,
            kind,
            axis,
            anomalies=[r["anomaly"] if r else None for r in rows],
            tones=[tone(kpi, r["anomaly"] if r else None).value for r in rows],
        )

    labels = [fmt.short_period(s, data.state.period) for s in starts]
    datasets = [dataset("leads", "line", "y")]
    if data.state.dimension in (None, "channel"):
        datasets.append(dataset("visits", "line", "y2"))
    return Chart(
        "leads_visits",
        "line",
        _("Period"),
        labels,
        datasets,
        _describe("leads", "visits", language=language),
        starts=[s.isoformat() for s in starts],
        step=data.state.period,
    )


def funnel(data: DashboardData, language: str, fmt: Formatter) -> Chart:
    stages = ("leads", "mqls", "sqls", "customers")
    rates = (None, "lead_to_mql_rate", "mql_to_sql_rate", "sql_to_customer_rate")
    labels = [_("Leads"), _("MQL"), _("SQL"), _("Customers")]
    return Chart(
        "funnel",
        "bar",
        _("Stage"),
        labels,
        [
            Dataset(_("Leads in the stage"), [_value(data.total(k)) for k in stages], Unit.COUNT),
            Dataset(
                _("Stage-to-stage rate"), [_value(data.total(k)) if k else None for k in rates], Unit.RATE, "line", "y2"
            ),
        ],
        _describe(*stages, *rates[1:], language=language),
    )


def _by_key(chart_id, dimension, bar_kpi, line_kpi, *, data, language, limit=None) -> Chart:
    keys = _ranked_keys(data, dimension, bar_kpi, limit)
    datasets = [Dataset(_kpi_label(bar_kpi, language), _breakdown(data, dimension, keys, bar_kpi), KPIS[bar_kpi].unit)]
    if line_kpi:
        datasets.append(
            Dataset(
                _kpi_label(line_kpi, language),
                _breakdown(data, dimension, keys, line_kpi),
                KPIS[line_kpi].unit,
                "line",
                "y2",
            )
        )
    drill = dimension if dimension in ("channel", "campaign", "offer") else None
    selected = data.state.key if data.state.dimension == dimension else None
    return Chart(
        chart_id,
        "bar",
        dimension_name(dimension, title=True),
        _key_labels(data, dimension, keys),
        datasets,
        _describe(*(k for k in (bar_kpi, line_kpi) if k), language=language),
        drill_dimension=drill,
        drill_keys=keys if drill else [],
        selected=selected,
        note=_not_filtered(data, dimension),
    )


def channels(data, language, fmt) -> Chart:
    return _by_key("channels", "channel", "leads", "lead_to_customer_rate", data=data, language=language)


def campaigns(data, language, fmt) -> Chart:
    return _by_key("campaigns", "campaign", "leads", "cost_per_lead", data=data, language=language)


def offers(data, language, fmt) -> Chart:
    return _by_key("offers", "offer", "leads", "lead_to_mql_rate", data=data, language=language)


def ctas(data, language, fmt) -> Chart:
    chart = _by_key("ctas", "cta", "cta_click_rate", None, data=data, language=language)
    chart.kind = "hbar"
    return chart


def keywords(data, language, fmt) -> Chart:
    chart = _by_key("keywords", "keyword", "keyword_visits", None, data=data, language=language, limit=TOP_KEYWORDS)
    chart.kind = "hbar"
    return chart


def landing_pages(data, language, fmt) -> Chart:
    keys = _ranked_keys(data, "landing_page", "visits")
    kpis = ("visits", "leads", "visit_to_lead_rate")
    return Chart(
        "landing_pages",
        "table",
        _("Landing page"),
        _key_labels(data, "landing_page", keys),
        [Dataset(_kpi_label(k, language), _breakdown(data, "landing_page", keys, k), KPIS[k].unit) for k in kpis],
        _describe(*kpis, language=language),
        note=_not_filtered(data, "landing_page"),
    )


def emails(data, language, fmt) -> Chart:
    kpis = ("email_deliverability_rate", "email_open_rate", "email_click_rate", "email_unsubscribe_rate")
    keys = sorted(data.breakdown.get(("email", kpis[0]), {}), key=lambda k: data.name("email", k))
    return Chart(
        "emails",
        "bar",
        _("Email send"),
        _key_labels(data, "email", keys),
        [Dataset(_kpi_label(k, language), _breakdown(data, "email", keys, k), Unit.RATE) for k in kpis],
        _describe(*kpis, language=language),
        note=_not_filtered(data, "email"),
    )


def paid_share(data, language, fmt) -> Chart:
    chart = Chart(
        "paid_organic",
        "doughnut",
        _("Origin"),
        [_("Paid"), _("Organic")],
        [
            Dataset(
                _("Share of leads"),
                [_value(data.total("paid_lead_share")), _value(data.total("organic_lead_share"))],
                Unit.RATE,
            )
        ],
        _describe("paid_lead_share", "organic_lead_share", language=language),
    )
    if data.state.dimension:
        chart.note, chart.labels = _("Shown for the whole account only."), []
    return chart


def cost_per_stage(data, language, fmt) -> Chart:
    """What a lead, an MQL, an SQL and a customer cost on each channel with spend in the period (over
    a custom range, the range's totals): one group of bars per channel, the most spent first."""
    spend = data.breakdown.get(("channel", "spend"), {})
    keys = [k for k in _ranked_keys(data, "channel", "spend") if (spend[k]["value"] or 0) > 0]
    selected = data.state.key if data.state.dimension == "channel" else None
    return Chart(
        "cost_per_stage",
        "bar",
        dimension_name("channel", title=True),
        _key_labels(data, "channel", keys),
        [Dataset(_kpi_label(k, language), _breakdown(data, "channel", keys, k), Unit.MONEY) for k in COST_PER_STAGE],
        _describe(*COST_PER_STAGE, language=language),
        drill_dimension="channel",
        drill_keys=keys,
        selected=selected,
        note=_not_filtered(data, "channel"),
        extra_columns=[(_kpi_label("spend", language), [_value(spend.get(k)) for k in keys], Unit.MONEY)],
    )


def mqls_by_channel(data, language, fmt) -> Chart:
    months = mql_months(data.state, first=data.first, focus=data.focus)
    channels_ = sorted(data.mql_months, key=lambda k: data.name("channel", k))
    return Chart(
        "mqls_by_channel",
        "stacked",
        _("Month"),
        [fmt.short_period(m, PeriodKind.MONTH) for m in months],
        [
            Dataset(
                data.name("channel", c) if c else _("(none)"),
                [data.mql_months[c].get(m) for m in months],
                Unit.COUNT,
                stack="mqls",
            )
            for c in channels_
        ],
        _describe("mqls", language=language),
        note=_not_filtered(data, "channel"),
        starts=[m.isoformat() for m in months],
        step=PeriodKind.MONTH,
    )


def pacing(data, language, fmt) -> Chart:
    def label(p) -> str:
        o = p.objective
        scope = (data.name(o.dimension, o.key) if o.key else _("(none)")) if o.dimension else _("All channels")
        return f"{_kpi_label(o.kpi, language)} · {scope}"

    def projection(p) -> dict:
        words = projection_words(
            fmt,
            projected=p.projection.projected,
            month_target=p.projection.month_target,
            needed_per_day=p.projection.needed_per_day,
            status=p.projection.status,
        )
        return {"text": f"{label(p)} — {words}", "status": p.projection.status}

    rows = data.pacing
    # A bullet chart per objective: the actual bar over the projected month-end bar (in the colour of
    # its projected status), the expected-by-today and month-target markers (docs/kpis.md §5).
    return Chart(
        "pacing",
        "hbar",
        _("Objective"),
        [label(p) for p in rows],
        [
            Dataset(_("Actual, month to date"), [p.pacing.actual for p in rows], Unit.COUNT),
            Dataset(
                _("Projected month-end"),
                [p.projection.projected for p in rows],
                NUMBER,
                statuses=[p.projection.status for p in rows],
            ),
            Dataset(_("Expected by today"), [p.pacing.expected for p in rows], NUMBER, marker=True),
            Dataset(_("Month target"), [p.projection.month_target for p in rows], NUMBER, marker=True),
        ],
        _(
            "Expected = weekly target × days elapsed this month ÷ 7; pacing = actual ÷ expected. "
            "Month target = weekly target × days in the month ÷ 7; projected = actual × days in the month ÷ "
            "days elapsed; needed per day = what is left of the month target ÷ days left."
        ),
        extra_columns=[
            (_("Pacing"), [p.pacing.pacing for p in rows], Unit.RATE),
            (_("Status"), [status_words(p.pacing.status) or "—" for p in rows], TEXT),
            (_("Needed per day"), [p.projection.needed_per_day for p in rows], NUMBER),
            (_("Projected status"), [status_words(p.projection.status) or "—" for p in rows], TEXT),
        ],
        lines=[projection(p) for p in rows],
    )


CHART_TITLES = {
    "leads_visits": gettext_lazy("Leads and visits over time"),
    "funnel": gettext_lazy("Lifecycle funnel"),
    "channels": gettext_lazy("Leads and conversion rate per channel"),
    "paid_organic": gettext_lazy("Paid vs organic leads"),
    "campaigns": gettext_lazy("Leads and cost per lead per campaign"),
    "offers": gettext_lazy("Leads per offer"),
    "landing_pages": gettext_lazy("Landing-page conversion"),
    "ctas": gettext_lazy("CTA click rates"),
    "keywords": gettext_lazy("Top keywords"),
    "emails": gettext_lazy("Email rates per send"),
    "cost_per_stage": gettext_lazy("Cost per lead, MQL, SQL and customer per channel"),
    "mqls_by_channel": gettext_lazy("MQLs per channel per month"),
    "pacing": gettext_lazy("Month-to-date pacing against weekly objectives"),
}
TABLE_CHARTS = frozenset({"landing_pages"})  # shown as a table, no canvas
CHARTS: dict[str, Callable[[DashboardData, str, Formatter], Chart]] = {
    "leads_visits": leads_and_visits,
    "funnel": funnel,
    "channels": channels,
    "paid_organic": paid_share,
    "campaigns": campaigns,
    "offers": offers,
    "landing_pages": landing_pages,
    "ctas": ctas,
    "keywords": keywords,
    "emails": emails,
    "cost_per_stage": cost_per_stage,
    "mqls_by_channel": mqls_by_channel,
    "pacing": pacing,
}


def table_rows(chart: Chart, fmt: Formatter, *, plain: bool = False) -> tuple[list[str], list[list[str]]]:
    """The chart as a table: the header and one row per label, formatted for reading, or ``plain``
    for CSV (plain numbers; an anomaly flag in a column of its own, not in the number)."""
    header = [chart.label_title]
    for dataset in chart.datasets:
        header.append(dataset.label)
        if plain and dataset.anomalies:
            header.append(f"{dataset.label} ({_('anomaly')})")
    header.extend(title for title, _values, _unit in chart.extra_columns)
    rows = []
    for i, label in enumerate(chart.labels):
        cells = [label]
        for dataset in chart.datasets:
            value, flag = dataset.data[i], dataset.anomalies[i] if dataset.anomalies else None
            if plain:
                cells.append(fmt.plain(value, dataset.unit))
                if dataset.anomalies:
                    cells.append(flag or "")
            else:
                text = fmt.value(value, dataset.unit)
                cells.append(f"{text} ({anomaly_words(flag)})" if flag else text)
        for _title, values, unit in chart.extra_columns:
            value = values[i]
            cells.append(value if unit == TEXT else (fmt.plain if plain else fmt.value)(value, unit))
        rows.append(cells)
    return header, rows
