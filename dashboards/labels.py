"""Words shared by the cards, the charts and the portfolio: a status, an anomaly, a dimension. Status
and direction words are the models' own choice labels; dimension names are the catalogues'
verbose names, so every screen and the admin say the same thing."""

from __future__ import annotations

from django.utils.text import capfirst

from campaigns.models import KeywordStat
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
