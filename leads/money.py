"""Amounts of money as people read and type them, in the page's language and the client's currency (CLDR
rules, by babel): ``439 761 €`` and ``4 800,50 €`` in French, ``€439,761`` and ``€4,800.50`` in English;
never the bare ISO code after a number. The sales screens' one home for it (the dashboards' Formatter
applies the same rules to KPI values)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel import Locale
from babel.numbers import (
    NumberFormatError,
    format_currency,
    format_decimal,
    get_currency_symbol,
    parse_decimal,
    parse_pattern,
)
from django.utils import translation

LOCALES = {"fr": "fr_FR", "en": "en_GB"}
NONE_TEXT = "—"


def money_locale(language: str | None = None) -> str:
    """The CLDR locale of a page language (default: the active one)."""
    language = (language or translation.get_language() or "en")[:2]
    return LOCALES.get(language, LOCALES["en"])


def _whole(amount: Decimal, currency: str, locale: str) -> str:
    pattern = parse_pattern(Locale.parse(locale).currency_formats["standard"].pattern)
    pattern.frac_prec = (0, 0)
    return pattern.apply(
        amount.quantize(Decimal(1), rounding=ROUND_HALF_UP), locale, currency=currency, currency_digits=False
    )


def money_text(amount, currency: str, *, language: str | None = None, whole: bool = False) -> str:
    """``amount`` in ``currency``: with cents only when it has some, or rounded to whole units (``whole``:
    totals). ``—`` for no amount."""
    if amount in (None, ""):
        return NONE_TEXT
    try:
        amount = Decimal(str(amount))
    except InvalidOperation:
        return str(amount)
    locale = money_locale(language)
    if whole or amount == amount.to_integral_value():
        return _whole(amount, currency, locale)
    return format_currency(amount, currency, locale=locale)


def money_symbol(currency: str, *, language: str | None = None) -> str:
    """The currency's sign as the language writes it (``€``, ``$US`` in French), for a field's label."""
    return get_currency_symbol(currency, locale=money_locale(language))


def money_input_text(amount: Decimal | None, *, language: str | None = None) -> str:
    """An amount as a form field shows it for editing: the language's separators, no currency."""
    if amount is None:
        return ""
    pattern = "#,##0" if amount == amount.to_integral_value() else "#,##0.00"
    return format_decimal(amount, pattern, locale=money_locale(language))


def money_parse(text: str, *, language: str | None = None) -> Decimal:
    """An amount as a person typed it in their language (``4 800,50``, ``4,800.50``, ``4800.5 €``):
    currency signs and spaces (only ever group separators) ignored, the rest read strictly, so that an
    ambiguous ``4800,5`` in English is refused rather than read as 48 005. Raises ValueError when it
    is no number."""
    cleaned = "".join(c for c in text if c.isdigit() or c in ",.-")
    if not any(c.isdigit() for c in cleaned):
        raise ValueError(text)
    try:
        return parse_decimal(cleaned, locale=money_locale(language), strict=True)
    except NumberFormatError:
        raise ValueError(text) from None
