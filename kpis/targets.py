"""Targets as people type and read them (docs/kpis.md §1, units).

Objectives are stored, computed and exchanged through the API as the KPI's own value: a rate or a ratio
is a fraction (0.06), money and counts are plain numbers. A person thinks of a rate as a percentage,
so the screens where objectives are typed take "6" (or "6 %", "6,5") for 6 % and show a stored 0.06
back as "6"; money and counts are typed as they are. This module is the one place that converts, for
every form that edits an objective (the client admin's today); ``kpis.services.objective_save``
then checks and stores the fraction as for any other caller.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from babel import Locale
from babel.numbers import format_currency, format_decimal, parse_pattern
from django.db import connection
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from config.errors import DomainError
from kpis.registry import KPI, Unit

PERCENT_UNITS = (Unit.RATE, Unit.RATIO)
PERCENT_DECIMALS = 4  # a target keeps 6 decimals as a fraction: 4 as a percentage
LOCALES = {"fr": "fr_FR", "en": "en_GB"}  # the dashboards' CLDR locales (dashboards/formatting.py)
# What a person may type around the number: a percent sign and spaces (French writes "6 %").
STRIPPED = str.maketrans("", "", "% \u00a0\u202f")
SPACES = str.maketrans("", "", " \u00a0\u202f")  # thousands separators of a money or count target


def kpi_definition(kpi: str) -> KPI | None:
    """The KPI's definition, built-in or custom (imported here: the models import this module)."""
    from kpis.custom.definitions import kpi_definition as definition

    return definition(kpi)


def typed_as_percent(kpi: str) -> bool:
    """Whether a target of ``kpi`` is typed and shown as a percentage (rates and ratios)."""
    definition = kpi_definition(kpi)
    return definition is not None and definition.unit in PERCENT_UNITS


def target_from_entry(kpi: str, typed) -> object:
    """The target to store for what was typed: 6 (or "6 %", "6,5") for a rate is 0.06 (0.065).
    Text that is no number is returned as it came, for ``objective_validate`` to refuse in its words."""
    if not typed_as_percent(kpi):  # "1 000" as French writes a thousand
        return str(typed).translate(SPACES) if isinstance(typed, str) else typed
    return _fraction_from_percent(typed, decimals=PERCENT_DECIMALS, field="target")


def _fraction_from_percent(typed, *, decimals: int, field: str) -> object:
    """6 (or "6 %", "6,5") as 0.06 (0.065); text that is no number comes back as it came."""
    try:
        percent = Decimal(str(typed).translate(STRIPPED).replace(",", "."))
    except (InvalidOperation, ValueError):
        return typed
    if percent.is_finite() and percent.as_tuple().exponent < -decimals:
        raise DomainError(_("A percentage has at most %(decimals)d decimals.") % {"decimals": decimals}, field=field)
    return percent / 100 if percent.is_finite() else typed


# The amber threshold is stored as the fraction of the target that is still amber (0.9); people think of
# it as how far below the target a value may fall before it is red: "10 %".
AMBER_MARGIN_DECIMALS = 1  # the ratio keeps 3 decimals: 0.925 is a margin of 7.5 %


def amber_ratio_from_margin(typed) -> object:
    """The ratio to store for a margin typed as a percentage: "10" or "10 %" is 0.9."""
    fraction = _fraction_from_percent(typed, decimals=AMBER_MARGIN_DECIMALS, field="amber_margin")
    return 1 - fraction if isinstance(fraction, Decimal) else fraction


def amber_margin_for_entry(ratio) -> str:
    """A stored ratio as the form shows its margin back: 0.900 as "10", 0.925 as "7,5" in French."""
    text = format(_plain((1 - Decimal(str(ratio))) * 100), "f")
    return text.replace(".", ",") if (get_language() or "").startswith("fr") else text


def _plain(number: Decimal) -> Decimal:
    """``number`` without the zeros its six stored decimals add (55.000000 → 55, 0.065000 → 0.065)."""
    normal = number.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


def target_for_entry(kpi: str, target) -> str:
    """A stored target as the form shows it back to be changed: 0.06 of a rate as "6" ("6,5" in French),
    55.000000 as "55"."""
    if target is None or target == "":
        return ""
    number = Decimal(str(target))
    if typed_as_percent(kpi):
        number *= 100
    text = format(_plain(number), "f")
    return text.replace(".", ",") if (get_language() or "").startswith("fr") else text


def kpi_value_shown(kpi: str, value) -> str:
    """A value or target of ``kpi`` as a list shows it, in the page's language: "6 %", "55,00 €", "120"."""
    if value is None:
        return "—"
    locale = LOCALES.get((get_language() or "")[:2], LOCALES["en"])
    number = Decimal(str(value))
    definition = kpi_definition(kpi)
    unit = definition.unit if definition else Unit.COUNT
    if unit in PERCENT_UNITS:
        pattern = parse_pattern(Locale.parse(locale).percent_formats[None].pattern)  # "6 %", "6%"
        pattern.frac_prec = (0, 2)
        return pattern.apply(number, locale)
    if unit == Unit.MONEY:
        currency = getattr(connection.tenant, "currency", None)
        if currency:
            return format_currency(number, currency, locale=locale)
        return format_decimal(number, "#,##0.00", locale=locale)
    return format_decimal(number, "#,##0.##", locale=locale)
