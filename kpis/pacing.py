"""Month-to-date pacing of a weekly objective (docs/kpis.md §5).

For a weekly objective T on a count KPI and an as-of local date D in month M:
``expected = T × d ÷ 7`` with d the number of days from the first of M to D inclusive,
``actual`` the KPI summed over those same days, ``pacing = actual ÷ expected`` and the status
from pacing (≥ 1 green, ≥ amber_ratio amber, else red). Pure rules: no database, no models.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from kpis.status import DEFAULT_AMBER_RATIO, amber_threshold, exact, status_from_ratio


@dataclass(frozen=True)
class Pacing:
    expected: float | None  # T × d ÷ 7; None without a weekly target
    actual: float  # the KPI summed from the first of the month to as_of inclusive
    pacing: float | None  # actual ÷ expected; None when expected is 0 or absent
    status: str | None  # "green" / "amber" / "red"; None when pacing is None
    days: int  # d: days from the first of the month to as_of inclusive (1 on the 1st)


def pacing_compute(
    *, weekly_target, as_of_local: date, actual_by_day: dict, amber_ratio: float = DEFAULT_AMBER_RATIO
) -> Pacing:
    """Pacing of ``weekly_target`` for the month of ``as_of_local``, as of that local date.

    ``actual_by_day`` maps local dates to the KPI value of that day; days before the first of
    the month or after ``as_of_local`` are ignored, as are null values (a missing day counts 0).
    The arithmetic is exact (rationals); the numbers are returned as floats. A weekly target of
    0 gives expected 0, hence no pacing and no status; a ``None`` target gives no expected
    value either.
    """
    ratio = amber_threshold(amber_ratio)
    first = as_of_local.replace(day=1)
    days = (as_of_local - first).days + 1
    actual = sum(
        (exact(value) for day, value in actual_by_day.items() if value is not None and first <= day <= as_of_local),
        Fraction(0),
    )
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
        status=status_from_ratio(pacing, ratio),
        days=days,
    )
