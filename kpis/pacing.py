"""Month-to-date pacing of a weekly objective (docs/kpis.md §5).

For a weekly objective T on a count KPI and an as-of local date D in month M:
``expected = T × d ÷ 7`` with d the number of days from the first of M to D inclusive,
``actual`` the KPI summed over those same days, ``pacing = actual ÷ expected`` and the status
from pacing (≥ 1 green, ≥ amber_ratio amber, else red).

The month-end projection of the same objective, with N the number of days in M:
``month_target = T × N ÷ 7``, ``projected = actual × N ÷ d`` (the run rate carried to the month's
end), ``needed_per_day = max(0, month_target − actual) ÷ (N − d)`` (none on the month's last day)
and the projected status from projected ÷ month_target, judged like a status. That ratio is the
pacing itself (actual × N ÷ d ÷ (T × N ÷ 7) = actual ÷ (T × d ÷ 7)), so the projected status always
equals the pacing status: the projection says the same verdict in month-end numbers.

Pacing is defined for count KPIs (the selector keeps only those). Every built-in count KPI is
better up; a custom one may be better down (fewer is better), and is judged as a status judges it:
from the inverse ratio (0 is green), with no amount "needed" per day. Pure rules: no database, no
models.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from kpis.status import DEFAULT_AMBER_RATIO, exact, kpi_status


@dataclass(frozen=True)
class Pacing:
    expected: float | None  # T × d ÷ 7; None without a weekly target
    actual: float  # the KPI summed from the first of the month to as_of inclusive
    pacing: float | None  # actual ÷ expected; None when expected is 0 or absent
    status: str | None  # "green" / "amber" / "red"; None when pacing is None
    days: int  # d: days from the first of the month to as_of inclusive (1 on the 1st)


def pacing_compute(
    *,
    weekly_target,
    as_of_local: date,
    actual_by_day: dict,
    amber_ratio: float = DEFAULT_AMBER_RATIO,
    better: str = "up",
) -> Pacing:
    """Pacing of ``weekly_target`` for the month of ``as_of_local``, as of that local date.

    ``actual_by_day`` maps local dates to the KPI value of that day; days before the first of
    the month or after ``as_of_local`` are ignored, as are null values (a missing day counts 0).
    The arithmetic is exact (rationals); the numbers are returned as floats. A weekly target of
    0 gives expected 0, hence no pacing and no status; a ``None`` target gives no expected
    value either. ``better`` is the KPI's better direction: "down" judges expected ÷ actual.
    """
    better = str(better)
    days, actual = _month_to_date(as_of_local, actual_by_day)
    if weekly_target is None:
        return Pacing(expected=None, actual=float(actual), pacing=None, status=None, days=days)
    expected = exact(weekly_target) * days / 7
    if expected == 0:
        return Pacing(expected=0.0, actual=float(actual), pacing=None, status=None, days=days)
    pacing = actual / expected
    return Pacing(
        expected=float(expected),
        actual=float(actual),
        pacing=float(pacing),
        status=kpi_status(better=better, value=actual, target=expected, amber_ratio=amber_ratio),
        days=days,
    )


def _month_to_date(as_of_local: date, actual_by_day: dict) -> tuple[int, Fraction]:
    """``(d, actual)``: the days from the first of the month to ``as_of_local`` inclusive and the
    exact sum of the values of those days (null values and days outside the window ignored)."""
    first = as_of_local.replace(day=1)
    actual = sum(
        (exact(value) for day, value in actual_by_day.items() if value is not None and first <= day <= as_of_local),
        Fraction(0),
    )
    return (as_of_local - first).days + 1, actual


@dataclass(frozen=True)
class Projection:
    month_days: int  # N: days in the month
    month_target: float | None  # T × N ÷ 7; None without a weekly target
    projected: float  # actual × N ÷ d: the month-to-date run rate carried to the month's end
    needed_per_day: float | None  # max(0, month_target − actual) ÷ (N − d); None on the last day or without target
    ratio: float | None  # projected ÷ month_target (equal to the pacing); None when the target is 0 or absent
    status: str | None  # from ratio like a status; None when ratio is None
    better: str = "up"  # the KPI's better direction

    @property
    def standing(self) -> float | None:
        """The ratio as judged (projected ÷ target, or target ÷ projected when fewer is better):
        below 1 the objective misses its month, whatever the direction."""
        if self.ratio is None or self.better != "down":
            return self.ratio
        return float("inf") if self.ratio == 0 else 1 / self.ratio


def projection_compute(
    *,
    weekly_target,
    as_of_local: date,
    actual_by_day: dict,
    amber_ratio: float = DEFAULT_AMBER_RATIO,
    better: str = "up",
) -> Projection:
    """Month-end projection of ``weekly_target`` for the month of ``as_of_local`` (docs/kpis.md §5).

    Same inputs and the same month-to-date sum as :func:`pacing_compute`. Exact arithmetic,
    floats out. On the month's last day nothing remains to be done per day: ``needed_per_day`` is
    None. A weekly target of 0 gives a month target of 0, nothing needed and no status, as pacing.
    A KPI better down needs nothing per day (its target is a ceiling): ``needed_per_day`` is None.
    """
    days, actual = _month_to_date(as_of_local, actual_by_day)
    month_days = calendar.monthrange(as_of_local.year, as_of_local.month)[1]
    projected = actual * month_days / days
    better = str(better)
    if weekly_target is None:
        return Projection(month_days, None, float(projected), None, None, None, better)
    month_target = exact(weekly_target) * month_days / 7
    remaining = month_days - days
    needed = max(Fraction(0), month_target - actual) / remaining if remaining and better != "down" else None
    if month_target == 0:
        return Projection(month_days, 0.0, float(projected), _float(needed), None, None, better)
    share = projected / month_target
    return Projection(
        month_days=month_days,
        month_target=float(month_target),
        projected=float(projected),
        needed_per_day=_float(needed),
        ratio=float(share),
        status=kpi_status(better=better, value=projected, target=month_target, amber_ratio=amber_ratio),
        better=better,
    )


def _float(number: Fraction | None) -> float | None:
    return None if number is None else float(number)
