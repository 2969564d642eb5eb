"""Numbers and periods as people read them, in the page's language and the client's currency:
``1 234,56 €`` and ``12,5 %`` in French, ``€1,234.56`` and ``12.5%`` in English (CLDR rules, the
same ones the browser's ``Intl.NumberFormat`` applies to the charts' axes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache, lru_cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import NumberPattern, parse_pattern

from kpis.models import PeriodKind
from kpis.registry import Unit

LOCALES = {"fr": "fr_FR", "en": "en_GB"}
NONE_TEXT = "—"
NUMBER = "number"  # a display unit beside the KPI units: a count that may have decimals (pacing's expected)

# A page formats thousands of numbers (the portfolio: some 850 a page). Babel's ``format_*`` functions
# parse the locale identifier and the number pattern again on every call, which cost more than the
# formatting itself; the locale and the patterns are read once per locale here, and the numbers go
# straight to ``NumberPattern.apply`` with the same arguments ``format_currency`` and
# ``format_decimal`` pass it (the same output, byte for byte).


@cache
def _babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


@cache
def _decimal_pattern(locale: str, format: str | None) -> NumberPattern:
    """``format`` parsed, or the locale's own decimal pattern (None), as ``format_decimal`` reads it."""
    return parse_pattern(format if format is not None else _babel_locale(locale).decimal_formats[None])


@cache
def _currency_pattern(locale: str) -> NumberPattern:
    """The locale's standard currency pattern, as ``format_currency`` reads it."""
    return _babel_locale(locale).currency_formats["standard"]


@cache
def _percent_pattern(locale: str) -> NumberPattern:
    """The locale's percent pattern with one decimal (a copy: the locale's own is left as it is)."""
    pattern = parse_pattern(_babel_locale(locale).percent_formats[None].pattern)
    pattern.frac_prec = (1, 1)
    return pattern


# Counts repeat too (a sparkline's monthly leads, from row to row and page to page): an integer's text
# depends on the integer and the locale only.
@lru_cache(maxsize=16384)
def _count(number: int, locale: str) -> str:
    return _decimal(number, None, locale)


def _decimal(number, format: str | None, locale: str) -> str:
    """``babel.numbers.format_decimal(number, format, locale=locale)``."""
    return _decimal_pattern(locale, format).apply(number, _babel_locale(locale))


# Dates repeat from row to row (the portfolio's sparklines name the same twelve months on every row):
# each is formatted once per locale and pattern.
@lru_cache(maxsize=4096)
def _date(start: date, format: str, locale: str) -> str:
    return format_date(start, format, locale=_babel_locale(locale))


@dataclass(frozen=True)
class Formatter:
    language: str  # "fr" or "en"
    currency: str  # ISO 4217 code of the client

    @property
    def locale(self) -> str:
        return LOCALES.get(self.language, LOCALES["en"])

    def value(self, number, unit: str) -> str:
        """A KPI value; ``—`` for a null (docs/kpis.md §1: no value, never 0)."""
        if number is None:
            return NONE_TEXT
        if unit == Unit.MONEY:
            # babel.numbers.format_currency(number, self.currency, locale=self.locale)
            return _currency_pattern(self.locale).apply(number, _babel_locale(self.locale), currency=self.currency)
        if unit in (Unit.RATE, Unit.RATIO):
            return self._percent(number)
        if unit == NUMBER:
            return _decimal(number, "#,##0.#", self.locale)
        return _count(round(number), self.locale)

    def _percent(self, number, *, signed: bool = False) -> str:
        """The locale's own percent pattern (``12,5 %``, ``12.5%``) with one decimal."""
        text = _percent_pattern(self.locale).apply(number, _babel_locale(self.locale))
        return f"+{text}" if signed and number > 0 else text

    def plain(self, number, unit: str) -> str:
        """The same number for a CSV file: dot decimals, no grouping, rates as fractions."""
        if number is None:
            return ""
        if unit == Unit.COUNT:
            return str(round(number))
        if unit == NUMBER:
            return f"{number:.2f}"
        return f"{number:.6f}".rstrip("0").rstrip(".") if unit != Unit.MONEY else f"{number:.2f}"

    def change(self, value, previous, unit: str) -> str | None:
        """The change against the previous period: relative for counts and money (``+12,0 %``),
        in percentage points for rates (``+1,5 pt``); None when it cannot be said."""
        if value is None or previous is None:
            return None
        if unit in (Unit.RATE, Unit.RATIO):
            points = (value - previous) * 100
            text = _decimal(points, "#,##0.0", self.locale)
            return f"{'+' if points > 0 else ''}{text}\u00a0pt"
        if previous == 0:
            return None
        return self._percent((value - previous) / previous, signed=True)

    def period(self, start: date, kind: str) -> str:
        """``novembre 2026``, ``T4 2026``, ``semaine du 30 nov. 2026``."""
        if kind == PeriodKind.MONTH:
            return _date(start, "LLLL y", self.locale)
        if kind == PeriodKind.QUARTER:
            quarter = (start.month - 1) // 3 + 1
            return f"{'T' if self.language == 'fr' else 'Q'}{quarter} {start.year}"
        if kind == PeriodKind.WEEK:
            return (
                _date(start, "d MMM y", self.locale) + " – " + _date(start + timedelta(days=6), "d MMM y", self.locale)
            )
        return _date(start, "d MMM y", self.locale)

    def span(self, first: date, last: date, kind: str) -> str:
        """A range of periods by their starts: ``janv. 2026 – juin 2026``, ``T1 2026 – T2 2026``,
        ``5 janv. 2026 – 28 juin 2026`` (weeks: the first Monday to the last Sunday)."""
        if kind == PeriodKind.MONTH:
            ends = (_date(first, "MMM y", self.locale), _date(last, "MMM y", self.locale))
        elif kind == PeriodKind.WEEK:
            end = last + timedelta(days=6)
            ends = (_date(first, "d MMM y", self.locale), _date(end, "d MMM y", self.locale))
        else:
            ends = (self.period(first, kind), self.period(last, kind))
        return f"{ends[0]} – {ends[1]}"

    def short_period(self, start: date, kind: str) -> str:
        """An axis label: ``nov. 26``, ``T4 26``, ``30 nov.``."""
        if kind == PeriodKind.MONTH:
            return _date(start, "MMM yy", self.locale)
        if kind == PeriodKind.QUARTER:
            return f"{'T' if self.language == 'fr' else 'Q'}{(start.month - 1) // 3 + 1} {start:%y}"
        return _date(start, "d MMM", self.locale)
