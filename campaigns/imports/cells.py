"""Parsers for one cell each. They raise ``CellError(reason)``; the caller adds line and column.

Cells a rule of ``campaigns.rules`` governs (keys, keywords, URLs) are read by that rule, so a file is
refused in the words of the API and the admin."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from campaigns import rules
from config.errors import DomainError


class CellError(ValueError):
    pass


def _ruled(rule: Callable[[str], str], value: str) -> str:
    if "\x00" in value:
        raise CellError("contains a NUL character")
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
        raise CellError(f"longer than {max_length} characters")
    if "\x00" in value:
        raise CellError("contains a NUL character")
    return value


def email(value: str) -> str:
    value = value.strip().lower()
    try:
        validate_email(value)
    except ValidationError:
        raise CellError(f"'{value}' is not a valid email address") from None
    return value


def count(value: str) -> int:
    value = value.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    try:
        number = int(value)
    except ValueError:
        raise CellError(f"'{value}' is not a whole number") from None
    if number < 0:
        raise CellError("cannot be negative")
    return number


def amount(value: str) -> Decimal:
    """A decimal with '.' or ',' as separator (never a thousands separator)."""
    cleaned = value.strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace(",", ".")
    try:
        number = Decimal(cleaned)
    except InvalidOperation:
        raise CellError(f"'{value.strip()}' is not a number") from None
    if not number.is_finite():
        raise CellError(f"'{value.strip()}' is not a number")
    try:  # the amount rule of the API and the admin, in their words
        return rules.amount_checked(number)
    except DomainError as exc:
        raise CellError(exc.message) from None


def day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CellError(f"'{value.strip()}' is not a date (YYYY-MM-DD)") from None


def instant(value: str, zone: ZoneInfo) -> datetime:
    """ISO 8601; without an offset it is local time in the client's zone."""
    raw = value.strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    except ValueError:
        raise CellError(f"'{raw}' is not an ISO 8601 timestamp") from None
    return parsed.replace(tzinfo=zone) if parsed.tzinfo is None else parsed
