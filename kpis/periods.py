"""Periods (docs/kpis.md §1): ``day``; ``week`` = ISO week from Monday; calendar ``month`` and
``quarter``. A period is named by its local start date."""

from __future__ import annotations

from datetime import date, timedelta

PERIODS = ("day", "week", "month", "quarter")


def period_floor(day: date, kind: str) -> date:
    if kind == "day":
        return day
    if kind == "week":
        return day - timedelta(days=day.weekday())
    if kind == "month":
        return day.replace(day=1)
    return day.replace(month=(day.month - 1) // 3 * 3 + 1, day=1)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period_shift(start: date, kind: str, n: int = 1) -> date:
    """The start of the period ``n`` periods after the one starting at ``start`` (n may be negative)."""
    if kind == "day":
        return start + timedelta(days=n)
    if kind == "week":
        return start + timedelta(weeks=n)
    return _add_months(start, n * (1 if kind == "month" else 3))


def period_starts(kind: str, start: date, end: date) -> list[date]:
    """Start dates of every period of ``kind`` whose start lies in ``[start, end]``."""
    first = period_floor(start, kind)
    if first < start:
        first = period_shift(first, kind)
    starts = []
    while first <= end:
        starts.append(first)
        first = period_shift(first, kind)
    return starts


def period_index(kind: str, first: date, day: date) -> int:
    """How many ``kind`` periods the period starting ``day`` lies after the one starting ``first``."""
    if kind == "day":
        return (day - first).days
    if kind == "week":
        return (day - first).days // 7
    months = (day.year - first.year) * 12 + day.month - first.month
    return months if kind == "month" else months // 3


def period_index_sql(kind: str, column: str) -> str:
    """SQL of :func:`period_index` for a date ``column``, against the parameter ``%(first)s``."""
    if kind == "day":
        return f"({column} - %(first)s::date)"
    if kind == "week":
        return f"(({column} - %(first)s::date) / 7)"
    months = (
        f"((date_part('year', {column}) - date_part('year', %(first)s::date)) * 12 "
        f"+ date_part('month', {column}) - date_part('month', %(first)s::date))::int"
    )
    return months if kind == "month" else f"({months} / 3)"
