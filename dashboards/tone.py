"""Good news is not red: the one rule that colours a change or an anomaly, on the dashboard cards and
the portfolio alike. A move in the KPI's better direction (kpis.registry ``Better``) is good, against
it bad; no move, or a KPI without a better direction (spend, shares), is neutral (docs/kpis.md)."""

from __future__ import annotations

from enum import StrEnum

from django.utils.translation import gettext_lazy

from kpis.custom.definitions import kpi_definition
from kpis.models import Direction
from kpis.registry import Better


class Tone(StrEnum):
    GOOD = "good"
    BAD = "bad"
    NEUTRAL = "neutral"


# Beside the colour, so that good or bad never rests on colour alone.
TONE_WORDS = {Tone.GOOD: gettext_lazy("(better)"), Tone.BAD: gettext_lazy("(worse)"), Tone.NEUTRAL: ""}


def tone(kpi_key: str, movement: str | None) -> Tone:
    """The tone of a KPI moving ``up`` or ``down`` (an anomaly's direction, a change's sign)."""
    definition = kpi_definition(kpi_key)  # built-in or custom
    better = definition.better if definition else Better.NONE
    if movement not in (Direction.UP, Direction.DOWN) or better == Better.NONE:
        return Tone.NEUTRAL
    return Tone.GOOD if movement == better.value else Tone.BAD


def change_tone(kpi_key: str, value, previous) -> Tone:
    """The tone of the change from ``previous`` to ``value``; neutral when either is unknown or equal."""
    if value is None or previous is None or value == previous:
        return Tone.NEUTRAL
    return tone(kpi_key, Direction.UP if value > previous else Direction.DOWN)


def tone_words(value: Tone) -> str:
    return str(TONE_WORDS[value])
