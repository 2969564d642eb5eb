"""Status of a KPI value against its target (docs/kpis.md §5).

Pure rules: no database, no models. Every comparison is made on exact rationals
(:class:`fractions.Fraction`) so that the thresholds hold at the boundaries: a float is read as
the decimal it prints as (``0.09`` is 9/100, not the nearest binary double), a ``Decimal`` and
an ``int`` exactly.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from numbers import Rational

GREEN = "green"
AMBER = "amber"
RED = "red"

DEFAULT_AMBER_RATIO = 0.9


def exact(number) -> Fraction:
    """``number`` (int, float, Decimal or Fraction) as an exact rational.

    A float is taken as its shortest decimal representation (``repr``), which is the number the
    user typed or saw, so ``0.9 × 0.1`` is exactly ``0.09``. NaN and infinities are refused.
    """
    if isinstance(number, bool):
        raise TypeError("a boolean is not a KPI number")
    if isinstance(number, Rational):  # int, Fraction
        return Fraction(number)
    if isinstance(number, float):
        number = Decimal(repr(number))
    if isinstance(number, Decimal):
        if not number.is_finite():
            raise ValueError(f"not a finite number: {number!r}")
        return Fraction(number)
    raise TypeError(f"not a number: {number!r}")


def status_from_ratio(ratio: Fraction, amber_ratio: Fraction) -> str:
    """green when ratio ≥ 1, amber when ratio ≥ amber_ratio, else red."""
    if ratio >= 1:
        return GREEN
    if ratio >= amber_ratio:
        return AMBER
    return RED


def amber_threshold(amber_ratio) -> Fraction:
    """The per-tenant amber ratio as an exact rational; it must lie in [0, 1]."""
    ratio = exact(amber_ratio)
    if not 0 <= ratio <= 1:
        raise ValueError(f"amber_ratio must lie in [0, 1], got {amber_ratio!r}")
    return ratio


def kpi_status(*, better: str, value, target, amber_ratio: float = DEFAULT_AMBER_RATIO) -> str | None:
    """``"green"``, ``"amber"``, ``"red"`` or ``None`` for ``value`` against ``target``.

    - ``better == "up"``: green when value ≥ target, amber when value ≥ amber_ratio × target,
      else red.
    - ``better == "down"``: the same thresholds applied to target ÷ value; a value of 0 (or
      below, which can only be better than 0) is green.
    - ``better == "none"``, no target (``None``) or a null value: ``None``.

    ``better`` may be a :class:`kpis.registry.Better` or its string value; anything else raises
    ``ValueError``, as does an ``amber_ratio`` outside [0, 1].
    """
    better = str(better)
    if better not in ("up", "down", "none"):
        raise ValueError(f"unknown better direction: {better!r}")
    ratio = amber_threshold(amber_ratio)
    if better == "none" or target is None or value is None:
        return None
    value, target = exact(value), exact(target)
    if better == "up":
        if value >= target:
            return GREEN
        return AMBER if value >= ratio * target else RED
    if value <= 0:
        return GREEN
    return status_from_ratio(target / value, ratio)


def row_status(*, kpi, value, numerator, denominator, target, amber_ratio=DEFAULT_AMBER_RATIO) -> str | None:
    """The status of one KPI row against ``target``. A ratio is compared as numerator ÷ denominator
    exactly (never its rounded quotient), so a rate of 9/10 against 0.9 is green."""
    if target is None or value is None:
        return None
    if numerator is not None and denominator:
        value = exact(numerator) / exact(denominator)
    return kpi_status(better=kpi.better, value=value, target=target, amber_ratio=amber_ratio)
