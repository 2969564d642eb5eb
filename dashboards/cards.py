"""KPI cards: the focus period's value in the client's format, the change against the period before,
the status against target (in words and colour), a sparkline over the range and the definition.
Over a custom range of several periods a card shows the range's totals (rates recomputed from the
summed numerator and denominator), compared with the range of the same length before, without a
status (objectives are per period: ``DashboardData.total``)."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dashboards.formatting import Formatter
from dashboards.labels import anomaly_words, status_symbol, status_words
from dashboards.notes import note_explaining_focus
from dashboards.selectors import DashboardData
from dashboards.tone import change_tone, tone, tone_words
from kpis.custom.definitions import kpi_definitions, kpi_list
from kpis.periods import period_starts
from kpis.registry import Family

FAMILY_TITLES = {
    Family.ACQUISITION: gettext_lazy("Acquisition"),
    Family.CONVERSION: gettext_lazy("Engagement & conversion"),
    Family.CONTENT: gettext_lazy("Content & campaigns"),
    Family.EMAIL: gettext_lazy("Email"),
    Family.QUALIFICATION: gettext_lazy("Lead qualification"),
    Family.CUSTOM: gettext_lazy("Your KPIs"),  # the client's custom KPIs (kpis.models.CustomKPI)
}
SPARK_WIDTH, SPARK_HEIGHT = 120, 32


@dataclass(frozen=True)
class Spark:
    """Coordinates are text already: a template would write a float the user's way (``65,5`` in
    French), which SVG rejects; numbers in markup are never localised."""

    points: str  # the SVG polyline's points
    marks: tuple[tuple[str, str, str], ...]  # anomalies: x, y, tone (dashboards.tone)
    label: str  # the series in words (its text alternative)


@dataclass(frozen=True)
class Card:
    kpi: str
    name: str
    value: str
    change: str | None
    tone: str  # "good", "bad" or "neutral": the change judged by the KPI's better direction
    tone_text: str  # the tone in words, beside its colour
    status: str | None
    status_text: str
    status_symbol: str
    target: str | None
    formula: str
    seed: str
    anomaly: str | None
    anomaly_text: str
    anomaly_tone: str  # a spike in leads is good news, one in the cost per lead bad
    anomaly_tone_text: str
    partial: bool
    spark: Spark | None
    versus: str = ""  # what the change compares with, in words
    explanation: str | None = None  # the client's note on the flagged period: its likely explanation


def cardable_kpis(dimension: str | None) -> list[str]:
    """KPIs with a card: totals for every KPI but ranked ones; in a drill-down, those split by it."""
    every = kpi_list()  # the registry's, then the client's custom KPIs
    if dimension is None:
        return [k.key for k in every if not k.dimension_required]
    return [k.key for k in every if dimension in k.dimensions and not k.dimension_required]


def sparkline(kpi_key: str, values: list, anomalies: list, words: str) -> Spark | None:
    """A server-drawn SVG sparkline (no script): the known values scaled into the box, anomalies
    marked on the line with their tone for the KPI. None with fewer than two values."""
    known = [(i, v) for i, v in enumerate(values) if v is not None]
    if len(known) < 2:
        return None
    low, high = min(v for _i, v in known), max(v for _i, v in known)
    span = (high - low) or 1.0
    step = SPARK_WIDTH / max(len(values) - 1, 1)
    xy = {
        i: (_coordinate(i * step), _coordinate(SPARK_HEIGHT - 2 - (v - low) / span * (SPARK_HEIGHT - 4)))
        for i, v in known
    }
    marks = tuple((*xy[i], tone(kpi_key, anomalies[i]).value) for i in xy if anomalies[i])
    return Spark(" ".join(f"{x},{y}" for x, y in xy.values()), marks, words)


def _coordinate(number: float) -> str:
    """An SVG coordinate: one decimal, with a point whatever the language (never through a template)."""
    return f"{number:.1f}"


def card_for(kpi_key: str, data: DashboardData, fmt: Formatter, language: str) -> Card:
    kpi = kpi_definitions()[kpi_key]
    row = data.total(kpi_key) or {}
    value, previous = row.get("value"), row.get("previous_value")
    starts = period_starts(data.state.period, data.first, data.focus)
    series_rows = [data.row(kpi_key, s) or {} for s in starts]
    values = [r.get("value") for r in series_rows]
    words = ", ".join(
        f"{fmt.short_period(s, data.state.period)} {fmt.value(v, kpi.unit)}"
        for s, v in zip(starts, values, strict=True)
    )
    spark = sparkline(kpi_key, values, [r.get("anomaly") for r in series_rows], words)
    status = row.get("status")
    anomaly = row.get("anomaly")
    # A period in progress against a whole one would read as a fall: no change until it ends.
    partial = bool(row.get("is_partial"))
    change_is = tone(kpi_key, None) if partial else change_tone(kpi_key, value, previous)
    anomaly_is = tone(kpi_key, anomaly)
    explained = note_explaining_focus(data) if anomaly else None
    return Card(
        kpi=kpi_key,
        name=kpi.name(language),
        value=fmt.value(value, kpi.unit),
        change=None if partial else fmt.change(value, previous, kpi.unit),
        tone=change_is.value,
        tone_text=tone_words(change_is),
        status=status,
        status_text=status_words(status)
        or (_("No status over several periods: objectives are per period") if data.over_range else _("No target")),
        status_symbol=status_symbol(status),
        target=fmt.value(row["target"], kpi.unit) if row.get("target") is not None else None,
        formula=str(kpi.formula),
        seed=kpi.seed,
        anomaly=anomaly,
        anomaly_text=anomaly_words(anomaly),
        anomaly_tone=anomaly_is.value,
        anomaly_tone_text=tone_words(anomaly_is),
        partial=partial,
        spark=spark,
        versus=_("vs the previous range") if data.over_range else _("vs previous period"),
        explanation=explained.text if explained else None,
    )


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    cards: list[Card]


def card_sections(data: DashboardData, fmt: Formatter, language: str, pinned: list[str]) -> list[Section]:
    """The pinned cards first, in their order, then each family's remaining cards."""
    available = cardable_kpis(data.state.dimension)
    pinned = [k for k in pinned if k in available]
    sections = [Section("pinned", _("Pinned"), [card_for(k, data, fmt, language) for k in pinned])] if pinned else []
    definitions = kpi_definitions()
    for family, title in FAMILY_TITLES.items():
        keys = [k for k in available if definitions[k].family == family and k not in pinned]
        if keys:
            sections.append(Section(family.value, str(title), [card_for(k, data, fmt, language) for k in keys]))
    return sections
