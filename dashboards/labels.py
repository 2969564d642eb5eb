"""Words shared by the cards, the charts and the portfolio: a status, an anomaly, a dimension. Status
and direction words are the models' own choice labels; dimension names are the catalogues'
verbose names, so every screen and the admin say the same thing."""

from __future__ import annotations

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from campaigns.models import KeywordStat
from dashboards.formatting import NUMBER, Formatter
from dashboards.selectors import NAMED
from kpis.models import Direction, Status

STATUS_SYMBOLS = {Status.GREEN: "✓", Status.AMBER: "!", Status.RED: "✕"}


def status_words(status: str | None) -> str:
    """``Hors objectif`` for red; empty without a status."""
    return str(Status(status).label) if status else ""


def status_symbol(status: str | None) -> str:
    """A symbol beside the colour, so that status never rests on colour alone."""
    return STATUS_SYMBOLS.get(status, "")


def anomaly_words(direction: str | None) -> str:
    return str(Direction(direction).label) if direction else ""


def dimension_name(dimension: str, *, title: bool = False) -> str:
    """``canal`` (``Canal`` with ``title``): the verbose name of the dimension's catalogue."""
    if dimension == "keyword":
        name = KeywordStat._meta.get_field("keyword").verbose_name
    else:
        name = NAMED[dimension]._meta.verbose_name
    return capfirst(name) if title else str(name)


def needed_words(fmt: Formatter, needed_per_day) -> str:
    """``il faut 4,3 par jour``; ``objectif du mois déjà atteint`` when nothing more is needed; empty
    on the month's last day (no day left: docs/kpis.md §5)."""
    if needed_per_day is None:
        return ""
    if needed_per_day == 0:
        return _("month target already reached")
    return _("%(needed)s needed per day") % {"needed": fmt.value(needed_per_day, NUMBER)}


def projection_words(fmt: Formatter, *, projected, month_target, needed_per_day, status) -> str:
    """One line for a weekly objective's month-end projection, the same on the dashboard and the
    portfolio: ``Projection fin de mois : 212 / objectif 240 · il faut 4,3 par jour · Hors objectif``."""
    parts = [
        _("Month-end projection: %(projected)s / target %(target)s")
        % {"projected": fmt.value(projected, NUMBER), "target": fmt.value(month_target, NUMBER)}
    ]
    parts += [words for words in (needed_words(fmt, needed_per_day), status_words(status)) if words]
    return " · ".join(parts)
