"""The rules of the marketing data, one home each.

The API (through ``campaigns.services``), the client admin (its forms' ``clean()``, ``campaigns/admin_forms.py``)
and the imports (``campaigns/imports/kinds.py``) all call these functions, so a bad value gets the same
words, in the reader's language, whichever way it came in (docs/imports.md). Each rule returns the value
normalised, or raises ``DomainError(message, field=…)``: the API answers 400 on that field, the admin shows
it on that field, an import reports ``line N, column C: message``.

This module knows no model (the models import it for their key validator).
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from config.errors import DomainError

# --- keys: channels, campaigns, offers, landing pages, CTAs, email sends ---------------------------

# The models' key validator is built from these two, and the migrations recorded them as they read:
# change either and a migration follows.
KEY_PATTERN = r"^[a-z0-9_-]+$"
KEY_MESSAGE = gettext_lazy("Use lower-case letters, digits, '_' and '-'.")
KEY_MAX_LENGTH = 100
CHANNEL_KEY_MAX_LENGTH = 64
_KEY = re.compile(r"[a-z0-9_-]+")


def key_normalised(value, *, field: str = "key", max_length: int = KEY_MAX_LENGTH) -> str:
    """A key as stored: trimmed and lower-cased, then only ASCII lower-case letters, digits, '_' and '-'."""
    key = str(value if value is not None else "").strip().lower()
    if not key:
        raise DomainError(_("A key is required."), field=field)
    if not (key.isascii() and _KEY.fullmatch(key)):
        raise DomainError(str(KEY_MESSAGE), field=field)
    if len(key) > max_length:
        raise DomainError(_("A key has at most %(max)d characters.") % {"max": max_length}, field=field)
    return key


# --- channels ------------------------------------------------------------------------------------


def channel_change_check(channel, changes: dict) -> None:
    """What an edit may change on a saved channel. GA4's built-in grouping is a shared convention: nothing.
    A client's own channel: its name and paid flag, never its key (tracking, imports and leads name the
    channel by it). Values equal to the stored ones are no change."""
    changed = [
        name for name, value in changes.items() if _comparable(name, value) != _comparable(name, getattr(channel, name))
    ]
    if not changed:
        return
    if channel.is_builtin:
        raise DomainError(_("Built-in channels cannot be changed."), field="key")
    if "key" in changed:
        raise DomainError(_("A channel's key cannot be changed: tracking, imports and leads refer to it."), field="key")


def _comparable(name: str, value):
    if name == "key":
        return str(value or "").strip().lower()
    return value.strip() if isinstance(value, str) else value


# --- campaigns and landing pages -----------------------------------------------------------------


def campaign_dates_check(starts_on: date | None, ends_on: date | None) -> None:
    """A campaign ends on or after the day it starts (either may be unknown)."""
    if starts_on and ends_on and ends_on < starts_on:
        raise DomainError(_("A campaign cannot end before it starts."), field="ends_on")


URL_MAX_LENGTH = 500
_URL = URLValidator()


def landing_page_url(value, *, field: str = "url") -> str:
    """A landing page's URL, trimmed: empty (not known), or an absolute URL with its scheme."""
    url = str(value if value is not None else "").strip()
    if not url:
        return ""
    if len(url) > URL_MAX_LENGTH:
        raise DomainError(_("Use at most %(max)d characters.") % {"max": URL_MAX_LENGTH}, field=field)
    try:
        _URL(url)
    except ValidationError:
        raise DomainError(_("Enter a valid URL."), field=field) from None
    return url


# --- amounts of money ----------------------------------------------------------------------------

MAX_AMOUNT = Decimal("999999999999.99")  # DecimalField(max_digits=14, decimal_places=2)


def amount_checked(value, *, field: str = "amount") -> Decimal | None:
    """An amount of money as stored (a budget, a day's spend): finite, not negative, within the column,
    to the cent. None (no amount) stays None."""
    if value is None:
        return None
    amount = Decimal(value)
    if not amount.is_finite():
        raise DomainError(_("Enter a number."), field=field)
    if amount < 0:
        raise DomainError(_("An amount cannot be negative."), field=field)
    if amount > MAX_AMOUNT:
        raise DomainError(_("This amount is too large."), field=field)
    return amount.quantize(Decimal("0.01"))


# --- counters ------------------------------------------------------------------------------------


def clicks_within_views(*, views: int, clicks: int) -> None:
    """A call-to-action is clicked only where it was seen: clicks ≤ views."""
    if clicks > views:
        raise DomainError(
            _("%(clicks)d clicks is more than %(views)d views.") % {"clicks": clicks, "views": views}, field="clicks"
        )


def email_counters_check(*, sent: int, delivered: int, unique_opens: int) -> None:
    """An email is delivered only once sent, and opened only once delivered: opens ≤ delivered ≤ sent."""
    if delivered > sent:
        raise DomainError(
            _("%(delivered)d delivered is more than %(sent)d sent.") % {"delivered": delivered, "sent": sent},
            field="delivered",
        )
    if unique_opens > delivered:
        raise DomainError(
            _("%(opens)d unique opens is more than %(delivered)d delivered.")
            % {"opens": unique_opens, "delivered": delivered},
            field="unique_opens",
        )


# --- keywords ------------------------------------------------------------------------------------

KEYWORD_MAX_LENGTH = 300


def keyword_normalised(
    value, *, field: str = "keyword", max_length: int = KEYWORD_MAX_LENGTH, required: bool = True
) -> str:
    """A search keyword as stored and grouped: lower-cased, spaces trimmed and runs of them collapsed to
    one (“Running  SHOES ” and “running shoes” are one keyword). ``max_length`` counts the normalised
    keyword; a lead's keyword may be empty (``required=False``), a keyword statistic's may not."""
    keyword = " ".join(str(value if value is not None else "").lower().split())
    if required and not keyword:
        raise DomainError(_("This field is required."), field=field)
    if len(keyword) > max_length:
        raise DomainError(_("Use at most %(max)d characters.") % {"max": max_length}, field=field)
    return keyword


# --- custom metrics ------------------------------------------------------------------------------

METRIC_NAME_MAX_LENGTH = 40
# A metric is named in custom KPI formulas (``mentions / visits``): a key that a formula can read, so
# it starts with a letter and has no '-' (``a-b`` reads as a minus b).
METRIC_NAME = re.compile(r"[a-z][a-z0-9_]*")
# The measures the KPI engine computes itself (kpis.measures.SOURCES, which campaigns may not import;
# kpis/tests/test_custom_kpis.py holds the two lists equal): a metric may not take one of their
# names, a formula would not know which it means.
METRIC_RESERVED_NAMES = frozenset(
    {
        "leads",
        "paid_leads",
        "leads_to_mql",
        "leads_to_customer",
        "mqls",
        "mqls_to_sql",
        "sqls",
        "sqls_to_customer",
        "customers",
        "revenue",
        "visits",
        "spend",
        "cta_clicks",
        "cta_views",
        "keyword_visits",
        "emails_sent",
        "emails_delivered",
        "email_opens",
        "email_clicks",
        "email_unsubscribes",
    }
)
# A day's value is bounded like an amount (MAX_AMOUNT), not by its own column: the KPI engine sums a
# period's values into kpis.Measure (20 digits, as this column), so a value at the column's limit
# made every refresh of the client fail on the second one of a month.
MAX_METRIC_VALUE = Decimal("999999999999.99")


def metric_name_normalised(value, *, field: str = "metric") -> str:
    """A custom metric's name as stored: a key (``key_normalised``) that starts with a letter, holds no
    '-' (formulas read it) and is not the name of a measure the product computes itself."""
    name = key_normalised(value, field=field, max_length=METRIC_NAME_MAX_LENGTH)
    if not METRIC_NAME.fullmatch(name):
        raise DomainError(
            _("A metric name starts with a letter and uses lower-case letters, digits and '_'."), field=field
        )
    if name in METRIC_RESERVED_NAMES:
        raise DomainError(
            _("'%(name)s' is a measure the product computes itself: choose another name.") % {"name": name},
            field=field,
        )
    return name


def metric_value_checked(value, *, field: str = "value") -> Decimal:
    """A custom metric's value for one day: a finite decimal, to the cent. It may be negative: a metric is
    summed over a period, so a level (followers) comes in as its daily change, which can fall."""
    number = Decimal(value)
    if not number.is_finite():
        raise DomainError(_("Enter a number."), field=field)
    if number.copy_abs() > MAX_METRIC_VALUE:  # abs() rounds in the context: 9e99999999 overflowed
        raise DomainError(_("This number is too large."), field=field)
    return number.quantize(Decimal("0.01"))
