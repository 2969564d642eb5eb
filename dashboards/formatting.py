"""Numbers and periods as people read them, in the page's language and the client's currency:
``1 234,56 €`` and ``12,5 %`` in French, ``€1,234.56`` and ``12.5%`` in English (CLDR rules, the
same ones the browser's ``Intl.NumberFormat`` applies to the charts' axes)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, parse_pattern

from kpis.models import PeriodKind
from kpis.registry import Unit

LOCALES = {"fr": "fr_FR", "en": "en_GB"}
NONE_TEXT = "—"
NUMBER = "number"  # a display unit beside the KPI units: a count that may have decimals (pacing's expected)


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
            return format_currency(number, self.currency, locale=self.locale)
        if unit in (Unit.RATE, Unit.RATIO):
            return self._percent(number)
        if unit == NUMBER:
            return format_decimal(number, "#,##0.#", locale=self.locale)
        return format_decimal(round(number), locale=self.locale)

    def _percent(self, number, *, signed: bool = False) -> str:
        """The locale's own percent pattern (``12,5 %``, ``12.5%``) with one decimal."""
        pattern = parse_pattern(Locale.parse(self.locale).percent_formats[None].pattern)
        pattern.frac_prec = (1, 1)
        text = pattern.apply(number, self.locale)
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
            text = format_decimal(points, "#,##0.0", locale=self.locale)
            return f"{'+' if points > 0 else ''}{text}\u00a0pt"
        if previous == 0:
            return None
        return self._percent((value - previous) / previous, signed=True)

    def period(self, start: date, kind: str) -> str:
        """``novembre 2026``, ``T4 2026``, ``semaine du 30 nov. 2026``."""
        if kind == PeriodKind.MONTH:
            return format_date(start, "LLLL y", locale=self.locale)
        if kind == PeriodKind.QUARTER:
            quarter = (start.month - 1) // 3 + 1
            return f"{'T' if self.language == 'fr' else 'Q'}{quarter} {start.year}"
        if kind == PeriodKind.WEEK:
            return (
                format_date(start, "d MMM y", locale=self.locale)
                + " – "
                + format_date(start + timedelta(days=6), "d MMM y", locale=self.locale)
            )
        return format_date(start, "d MMM y", locale=self.locale)

    def span(self, first: date, last: date, kind: str) -> str:
        """A range of periods by their starts: ``janv. 2026 – juin 2026``, ``T1 2026 – T2 2026``,
        ``5 janv. 2026 – 28 juin 2026`` (weeks: the first Monday to the last Sunday)."""
        if kind == PeriodKind.MONTH:
            ends = (format_date(first, "MMM y", locale=self.locale), format_date(last, "MMM y", locale=self.locale))
        elif kind == PeriodKind.WEEK:
            end = last + timedelta(days=6)
            ends = (format_date(first, "d MMM y", locale=self.locale), format_date(end, "d MMM y", locale=self.locale))
        else:
            ends = (self.period(first, kind), self.period(last, kind))
        return f"{ends[0]} – {ends[1]}"

    def short_period(self, start: date, kind: str) -> str:
        """An axis label: ``nov. 26``, ``T4 26``, ``30 nov.``."""
        if kind == PeriodKind.MONTH:
            return format_date(start, "MMM yy", locale=self.locale)
        if kind == PeriodKind.QUARTER:
            return f"{'T' if self.language == 'fr' else 'Q'}{(start.month - 1) // 3 + 1} {start:%y}"
        return format_date(start, "d MMM", locale=self.locale)
