"""The dates a fact or a lead may carry, one rule for every edge: the API, imports, the admin, the
capture endpoint, tracking events and email providers' webhooks all call :func:`date_check`.

A date before 2000 or more than a year ahead is a typo or a forged value, never a marketing fact, and
one such row used to make every later refresh lay out every period since it (a keyword stat dated
0001-01-01 took a refresh to 10 GB). A year ahead leaves room for planned spend and scheduled sends.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import DomainError

EARLIEST = date(2000, 1, 1)
HORIZON_YEARS = 1  # how far after today a date may lie


# "Today" for the bound is the day of the zone furthest ahead (UTC+14): the same whatever zone a request,
# a worker or a webhook runs in, so one bad value gets one message on every path, also in the hour when
# Paris is already tomorrow and UTC is not. A day's slack a year ahead changes nothing the rule is for.
FURTHEST_AHEAD = timezone.get_fixed_timezone(14 * 60)


def latest_date(today: date | None = None) -> date:
    """The last date allowed: the same day one year after ``today`` (default: today at UTC+14)."""
    today = today or timezone.now().astimezone(FURTHEST_AHEAD).date()
    try:
        return today.replace(year=today.year + HORIZON_YEARS)
    except ValueError:  # 29 February
        return today.replace(year=today.year + HORIZON_YEARS, day=28)


def _day(value: date | datetime, zone: ZoneInfo | None) -> date:
    if not isinstance(value, datetime):
        return value
    if timezone.is_naive(value):
        return value.date()
    try:
        return value.astimezone(zone or timezone.get_current_timezone()).date()
    except OverflowError:  # year 1 or 9999 with an offset: out of bounds whichever day it is
        return value.date()


def date_refusal(value: date | datetime, *, zone: ZoneInfo | None = None) -> str | None:
    """Why ``value`` (a date, or an instant taken on its local day in ``zone``, default the current
    time zone) may not date a fact or a lead; None when it may."""
    latest = latest_date()
    if EARLIEST <= _day(value, zone) <= latest:
        return None
    return _("Enter a date between %(earliest)s and %(latest)s.") % {
        "earliest": EARLIEST.isoformat(),
        "latest": latest.isoformat(),
    }


def date_check(value: date | datetime, *, field: str, zone: ZoneInfo | None = None) -> None:
    """Raise ``DomainError`` on ``field`` when ``value`` is outside the bounds (:func:`date_refusal`)."""
    refusal = date_refusal(value, zone=zone)
    if refusal is not None:
        raise DomainError(refusal, field=field)
