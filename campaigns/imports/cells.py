"""Parsers for one cell each. They raise ``CellError(reason)``; the caller adds line and column.

The single home of how a file's dates and numbers are read (docs/imports.md): ISO 8601 always;
day-first ``DD/MM/YYYY`` (and ``DD/MM/YYYY HH:MM``) when the client's language is French — what
French Excel writes — and never for an English client, where ``01/12/2026`` could be either day;
amounts with a comma or a point as decimal separator and spaces (no-break ones too) as thousands
separator. ``written`` writes a value the way ``day``/``instant``/``amount`` read it back (the
downloadable templates).

Cells a rule of ``campaigns.rules`` governs (keys, keywords, URLs) are read by that rule, so a file is
refused in the words of the API and the admin. Every reason is translated when raised: an import runs
in the language of its reader (the request's, or the one the job was started in)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from campaigns import rules
from config.errors import DomainError

# What French Excel writes for a date or a date and time: 01/12/2026, 1/12/2026 10:15, 01/12/2026 10:15:00.
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?")
# Thousands separators people and spreadsheets put inside numbers: space, no-break space, narrow no-break space.
_SPACES = str.maketrans("", "", " \u00a0\u202f")


class CellError(ValueError):
    pass


def day_first(language: str | None) -> bool:
    """Whether a client reading ``language`` writes its dates day first (``01/12/2026`` is 1 December).
    French: yes. English: slashed dates are refused as ambiguous (ISO only). No language: the site's."""
    return (language or settings.LANGUAGE_CODE).split("-")[0] == "fr"


def _ruled(rule: Callable[[str], str], value: str) -> str:
    if "\x00" in value:
        raise CellError(_("contains a NUL character"))
    try:
        return rule(value)
    except DomainError as exc:
        raise CellError(exc.message) from None


def key(value: str) -> str:
    """A key, trimmed and lower-cased (``rules.key_normalised``)."""
    return _ruled(rules.key_normalised, value)


def keyword(value: str) -> str:
    """A search keyword, lower-cased with its spaces trimmed and collapsed (``rules.keyword_normalised``)."""
    return _ruled(rules.keyword_normalised, value)


def url(value: str) -> str:
    """A landing page's URL (``rules.landing_page_url``)."""
    return _ruled(rules.landing_page_url, value)


def text(value: str, max_length: int = 200) -> str:
    value = value.strip()
    if len(value) > max_length:
        raise CellError(_("longer than %(n)s characters") % {"n": max_length})
    if "\x00" in value:
        raise CellError(_("contains a NUL character"))
    return value


def email(value: str) -> str:
    value = value.strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise CellError(_("'%(value)s' is not a valid email address") % {"value": value}) from None
    return value


def count(value: str) -> int:
    value = value.strip().translate(_SPACES)
    try:
        number = int(value)
    except ValueError:
        raise CellError(_("'%(value)s' is not a whole number") % {"value": value}) from None
    if number < 0:
        raise CellError(_("cannot be negative"))
    return number


def amount(value: str) -> Decimal:
    """A decimal with '.' or ',' as separator (never a thousands separator); spaces are thousands
    separators: ``1 250,50``, ``1250,50`` and ``1250.50`` are the same amount."""
    cleaned = value.strip().translate(_SPACES).replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(_("'%(value)s' is not a number") % {"value": value.strip()}) from None
    if not number.is_finite():
        raise CellError(_("'%(value)s' is not a number") % {"value": value.strip()})
    try:  # the amount rule of the API and the admin, in their words
        return rules.amount_checked(number)
    except DomainError as exc:
        raise CellError(exc.message) from None


def signed_number(value: str) -> Decimal:
    """A decimal read like ``amount`` (``-12,5``, ``1 250,50``) that may be negative: a custom metric's
    value (``rules.metric_value_checked``)."""
    cleaned = value.strip().translate(_SPACES).replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(_("'%(value)s' is not a number") % {"value": value.strip()}) from None
    try:
        return rules.metric_value_checked(number)
    except DomainError as exc:
        raise CellError(exc.message) from None


def _slashed(raw: str, first: bool) -> tuple[date, tuple[int, int, int] | None] | None:
    """A day-first date (and its time, if any) when ``raw`` is slashed; None when it is not. Slashed
    dates for a client that does not write day first are refused: 01/12/2026 could be either day."""
    match = _SLASHED.fullmatch(raw)
    if match is None:
        return None
    if not first:
        raise CellError(_("'%(value)s' is ambiguous: write dates as YYYY-MM-DD") % {"value": raw})
    d, m, y, hh, mm, ss = match.groups()
    try:
        read = date(int(y), int(m), int(d))
    except ValueError:
        return None
    clock = (int(hh), int(mm), int(ss or 0)) if hh is not None else None
    if clock is not None and not (clock[0] < 24 and clock[1] < 60 and clock[2] < 60):
        return None
    return read, clock


def day(value: str, first: bool = False) -> date:
    """``YYYY-MM-DD``; with ``first`` (a French client) also ``DD/MM/YYYY``."""
    raw = value.strip()
    try:
        return date.fromisoformat(raw)
    except ValueError:
        pass
    read = _slashed(raw, first)
    if read is not None and read[1] is None:
        return read[0]
    if first:
        raise CellError(_("'%(value)s' is not a date (DD/MM/YYYY or YYYY-MM-DD)") % {"value": raw})
    raise CellError(_("'%(value)s' is not a date (YYYY-MM-DD)") % {"value": raw})


def instant(value: str, zone: ZoneInfo, first: bool = False) -> datetime:
    """ISO 8601; with ``first`` (a French client) also ``DD/MM/YYYY HH:MM[:SS]`` and ``DD/MM/YYYY``
    (midnight). Without an offset it is local time in the client's zone."""
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        read = _slashed(raw, first)
        if read is None:
            if first:
                raise CellError(
                    _("'%(value)s' is not a date and time (DD/MM/YYYY HH:MM or ISO 8601)") % {"value": raw}
                ) from None
            raise CellError(_("'%(value)s' is not an ISO 8601 timestamp") % {"value": raw}) from None
        (read_day, clock) = read
        return datetime(read_day.year, read_day.month, read_day.day, *(clock or (0, 0, 0)), tzinfo=zone)
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed


def written(value, first: bool = False) -> str:
    """``value`` as a cell of a file for a client who writes dates day first (``first``, French: with
    decimal commas too) or not (ISO dates, decimal points): what ``day``, ``instant`` and ``amount``
    read back as the same value."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if first:
            return value.strftime("%d/%m/%Y %H:%M")
        return value.isoformat(timespec="minutes")
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y") if first else value.isoformat()
    if isinstance(value, Decimal):
        if not first:
            return f"{value:.2f}"
        whole, _dot, cents = f"{value:.2f}".partition(".")
        grouped = f"{int(whole):,}".replace(",", " ")
        return f"{grouped},{cents}"
    return str(value)
