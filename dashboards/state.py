"""What a dashboard shows, read from and written to its URL (so a view can be bookmarked and shared):
the period kind, the range and an optional drill-down to one channel, campaign or offer.

The *focus* period is the last period of the range. With "this" or "last" the cards show it and
compare it with the period before, and the charts over time show the 8 to 13 periods up to it. A
*custom* range of several periods is shown as one: the cards, the funnel, the paid/organic share and
the breakdowns show its totals (counts and money summed; rates and ratios recomputed from the
summed numerator and denominator by the KPI engine, ``kpis.selectors.range_kpis``), compared with
the range of the same length just before; the charts over time show each of its periods. A range
has no status: objectives are per week, month or quarter, so one period's target does not judge a
sum over several (a custom range of one period keeps its status). At most ``MAX_PERIODS`` periods.
The default is the last complete month: a period in progress compares badly with a whole one (its
pacing chart covers the month so far).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from django.utils.translation import gettext_lazy as _

from kpis.models import PeriodKind
from kpis.periods import period_floor, period_index, period_shift

PERIOD_KINDS = (PeriodKind.WEEK, PeriodKind.MONTH, PeriodKind.QUARTER)  # a day is too short to chart
RANGES = ("this", "last", "custom")
DRILL_DIMENSIONS = ("channel", "campaign", "offer")
# How many periods the charts over time show for "this" and "last".
TREND_PERIODS = {PeriodKind.WEEK: 13, PeriodKind.MONTH: 12, PeriodKind.QUARTER: 8}
MAX_PERIODS = {PeriodKind.WEEK: 104, PeriodKind.MONTH: 36, PeriodKind.QUARTER: 12}
EARLIEST, LATEST = date(2000, 1, 1), date(2999, 12, 31)
MAX_KEY_LENGTH = 300  # the snapshot key column


# The picker's fields as the page labels them: errors name the field the user sees, never "range".
FIELD_LABELS = {
    "period": _("Period"),
    "range": _("Range"),
    "from": _("Start date"),
    "to": _("End date"),
    "dimension": _("Drill-down"),
    "key": _("Drill-down item"),
}


class StateError(ValueError):
    """Bad query parameters, as field errors: ``{"from": ["…"]}`` (the API's keys are the parameters)."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__(errors)
        self.errors = errors

    def labelled(self) -> list[tuple[str, list[str]]]:
        """The errors for people: each under its field's translated label."""
        return [(str(FIELD_LABELS.get(name, name)), texts) for name, texts in self.errors.items()]


@dataclass(frozen=True)
class DashboardState:
    period: str = PeriodKind.MONTH
    range: str = "last"
    date_from: date | None = None  # custom ranges only: the first period's start
    date_to: date | None = None  # custom ranges only: the last (focus) period's start
    dimension: str | None = None
    key: str | None = None

    def focus(self, today: date) -> date:
        current = period_floor(today, self.period)
        if self.range == "custom":
            return self.date_to
        return current if self.range == "this" else period_shift(current, self.period, -1)

    def first(self, today: date) -> date:
        if self.range == "custom":
            return self.date_from
        return period_shift(self.focus(today), self.period, 1 - TREND_PERIODS[self.period])

    def query(self, **changes) -> str:
        """The URL query of this state, or of it with ``changes`` (defaults left out)."""
        state = replace(self, **changes)
        params = {"period": state.period, "range": state.range}
        if state.range == "custom":
            params |= {"from": state.date_from.isoformat(), "to": state.date_to.isoformat()}
        if state.dimension:
            params |= {"dimension": state.dimension, "key": state.key or ""}
        defaults = {"period": PeriodKind.MONTH, "range": "last"}
        return urlencode({k: v for k, v in params.items() if defaults.get(k) != v})

    def without_drill(self) -> str:
        return self.query(dimension=None, key=None)


def _date(params, name: str, errors: dict) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        errors.setdefault(name, []).append(str(_("Required for a custom range.")))
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        errors.setdefault(name, []).append(str(_("Enter a date as YYYY-MM-DD.")))
        return None
    if not EARLIEST <= day <= LATEST:
        errors.setdefault(name, []).append(str(_("Enter a date between 2000 and 2999.")))
        return None
    return day


def state_from_query(params) -> DashboardState:
    """Validate the dashboard's query parameters (a QueryDict or dict); raise StateError."""
    errors: dict[str, list[str]] = {}
    period = params.get("period") or PeriodKind.MONTH
    if period not in PERIOD_KINDS:
        errors["period"] = [str(_("Choose “Week”, “Month” or “Quarter”."))]
    kind = params.get("range") or "last"
    if kind not in RANGES:
        errors["range"] = [str(_("Choose “This period”, “Last period” or “Custom”."))]
    date_from = date_to = None
    if kind == "custom":
        date_from, date_to = _date(params, "from", errors), _date(params, "to", errors)
        if date_from and date_to and "period" not in errors:
            date_from, date_to = period_floor(date_from, period), period_floor(date_to, period)
            if date_from > date_to:
                errors["to"] = [str(_("The end comes before the start."))]
            elif period_index(period, date_from, date_to) >= MAX_PERIODS[period]:
                errors["to"] = [str(_("At most %(count)d periods at a time.") % {"count": MAX_PERIODS[period]})]
    dimension = params.get("dimension") or None
    key = params.get("key")
    if dimension is not None and dimension not in DRILL_DIMENSIONS:
        errors["dimension"] = [str(_("Choose channel, campaign or offer."))]
    if dimension is not None and key is None:
        errors["key"] = [str(_("A drill-down needs a key."))]
    if dimension is None and key is not None:
        errors["dimension"] = [str(_("A key needs a dimension."))]
    if key is not None and ("\x00" in key or len(key) > MAX_KEY_LENGTH):
        errors["key"] = [str(_("This key cannot exist."))]
    if errors:
        raise StateError(errors)
    return DashboardState(period, kind, date_from, date_to, dimension, key if dimension else None)
