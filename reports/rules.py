"""The rules of a report schedule, one home for the API's serializer, the page's and the admin's form
and the ``report_send`` command: every field checked and normalised here, refused with a
``DomainError`` naming the field, in the same words everywhere. Also the calendar: when a schedule
runs (in the client's time zone) and which period a report covers."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from config.dates import date_check
from config.errors import DomainError
from dashboards.report_sections import DEFAULT_REPORT_SECTIONS, report_sections_checked
from kpis.models import PeriodKind
from kpis.periods import period_floor, period_shift
from reports.models import Frequency, ReportLanguage, Weekday

NAME_MAX = 200
MAX_RECIPIENTS = 50
MAX_SCHEDULES = 50  # per client: each one renders a PDF with Chromium every period
DAY_OF_MONTH_MAX = 31  # a month without that day sends on its last day (``month_day``)
QUOTE_MAX = 60


def _quoted(value) -> str:
    text = str(value)
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1] + "…"


def _integer(value, *, field: str, low: int, high: int, message: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise DomainError(message, field=field)
    try:
        number = int(value)
    except ValueError:
        raise DomainError(message, field=field) from None
    if not low <= number <= high:
        raise DomainError(message, field=field)
    return number


def recipients_checked(recipients) -> list[str]:
    """1-50 email addresses, trimmed, lower-cased, each once (first occurrence kept)."""
    if isinstance(recipients, str) or not isinstance(recipients, list | tuple):
        raise DomainError(_("Give a list of email addresses."), field="recipients")
    seen: dict[str, None] = {}  # ordered, with constant-time membership
    for raw in recipients:
        address = raw.strip().lower() if isinstance(raw, str) else ""
        try:
            validate_email(address)
        except ValidationError:
            raise DomainError(
                _("'%(value)s' is not an email address.") % {"value": _quoted(raw)}, field="recipients"
            ) from None
        seen[address] = None
        if len(seen) > MAX_RECIPIENTS:  # refused at the first one too many, however long the list
            raise DomainError(_("At most %(max)d recipients per report.") % {"max": MAX_RECIPIENTS}, field="recipients")
    if not seen:
        raise DomainError(_("Give at least one recipient."), field="recipients")
    return list(seen)


def sections_checked(sections) -> list[str]:
    """The dashboard's report sections (``dashboards.report_sections``); empty or missing: all of them."""
    if sections is None or sections == []:
        return list(DEFAULT_REPORT_SECTIONS)
    if isinstance(sections, str) or not isinstance(sections, list | tuple):
        raise DomainError(_("Give a list of sections."), field="sections")
    try:
        return list(report_sections_checked(list(sections)))
    except ValidationError as error:
        raise DomainError(" ".join(error.messages), field="sections") from None


def schedule_fields_checked(
    *,
    name,
    frequency,
    recipients,
    language,
    weekday=Weekday.MONDAY,
    day_of_month=1,
    hour=8,
    sections=None,
    requires_approval=False,
    active=True,
) -> dict:
    """Every field of a schedule, normalised; the first refused one raises ``DomainError``."""
    name = name.strip() if isinstance(name, str) else ""
    if not name:
        raise DomainError(_("Give the report a name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_("At most %(max)d characters.") % {"max": NAME_MAX}, field="name")
    if frequency not in Frequency.values:
        raise DomainError(
            _("'%(value)s' is not a frequency: weekly or monthly.") % {"value": _quoted(frequency)}, field="frequency"
        )
    if language not in ReportLanguage.values:
        raise DomainError(
            _("'%(value)s' is not a language: fr or en.") % {"value": _quoted(language)}, field="language"
        )
    weekday = _integer(weekday, field="weekday", low=0, high=6, message=_("A weekday is 0 (Monday) to 6 (Sunday)."))
    day_of_month = _integer(
        day_of_month,
        field="day_of_month",
        low=1,
        high=DAY_OF_MONTH_MAX,
        message=_("A day of the month is 1 to %(max)d.") % {"max": DAY_OF_MONTH_MAX},
    )
    hour = _integer(hour, field="hour", low=0, high=23, message=_("An hour is 0 to 23."))
    return {
        "name": name,
        "frequency": frequency,
        "weekday": weekday,
        "day_of_month": day_of_month,
        "hour": hour,
        "language": language,
        "sections": sections_checked(sections),
        "recipients": recipients_checked(recipients),
        "requires_approval": bool(requires_approval),
        "active": bool(active),
    }


def approval_change_checked(before: bool, after: bool, *, by_agency: bool) -> None:
    """Approval is the agency's review of what goes out: once a schedule requires it, only an agency
    person turns it off (a client's manager would otherwise lift the review the agency asked for by
    unticking a box). Turning it on is anyone's."""
    if before and not after and not by_agency:
        raise DomainError(_("Only the agency turns off the approval of this report."), field="requires_approval")


# --- The calendar ---------------------------------------------------------------------------------


def period_kind(frequency: str) -> str:
    """The KPI period (``kpis.models.PeriodKind``) a weekly or monthly report covers."""
    return PeriodKind.WEEK if frequency == Frequency.WEEKLY else PeriodKind.MONTH


def period_containing(frequency: str, day: date) -> tuple[date, date]:
    """The week (Monday to Sunday) or month that holds ``day`` (the KPIs' periods: ``kpis.periods``)."""
    kind = period_kind(frequency)
    start = period_floor(day, kind)
    return start, period_shift(start, kind) - timedelta(days=1)


def period_before(frequency: str, day: date) -> tuple[date, date]:
    """The last complete week or month before ``day`` (the period a report sent that day covers)."""
    start, _end = period_containing(frequency, day)
    return period_containing(frequency, start - timedelta(days=1))


def period_start_checked(frequency: str, day: date, *, today: date) -> tuple[date, date]:
    """A chosen period (a manual send, a preview): the week or month holding ``day``, not in the future
    nor before the dates any fact may carry (``config.dates``)."""
    date_check(day, field="period_start")
    start, end = period_containing(frequency, day)
    if start > today:
        raise DomainError(_("The period has not started yet."), field="period_start")
    return start, end


def month_day(year: int, month: int, day_of_month: int) -> date:
    """A monthly schedule's day in one month: ``day_of_month``, or the month's last day when the month
    is shorter (the 31st sends on 30 April and on 28 or 29 February): once every month, never skipped
    and never pushed into the next month, which would then have two."""
    return date(year, month, min(day_of_month, calendar.monthrange(year, month)[1]))


def _run_at(day: date, hour: int, zone: ZoneInfo) -> datetime:
    """``hour`` o'clock on ``day`` in ``zone``. Across DST (``fold=0``): an hour the clocks skip (02:30
    on the spring change in Paris) is read with the offset before the change, i.e. one hour later on
    the clock (03:30); an hour that happens twice (the autumn change) is its first occurrence."""
    wall_clock = datetime.combine(day, time(hour), tzinfo=zone)
    # As a UTC instant: Python compares a skipped or repeated wall-clock time of a zone with another
    # zone's instant as never equal (PEP 495), and shows the skipped one as a 02:00 that never was.
    return wall_clock.astimezone(UTC)


def latest_run(schedule, *, now: datetime, zone: ZoneInfo) -> datetime:
    """The latest time at or before ``now`` the schedule was due (its day and hour in ``zone``)."""
    # In UTC: two datetimes of the same zone compare their wall clocks, which a DST change repeats.
    now = now.astimezone(UTC)
    today = now.astimezone(zone).date()
    if schedule.frequency == Frequency.WEEKLY:
        day = today - timedelta(days=(today.weekday() - schedule.weekday) % 7)
        run = _run_at(day, schedule.hour, zone)
        return run if run <= now else _run_at(day - timedelta(days=7), schedule.hour, zone)
    run = _run_at(month_day(today.year, today.month, schedule.day_of_month), schedule.hour, zone)
    if run <= now:
        return run
    previous = today.replace(day=1) - timedelta(days=1)
    return _run_at(month_day(previous.year, previous.month, schedule.day_of_month), schedule.hour, zone)


def next_run(schedule, *, now: datetime, zone: ZoneInfo) -> datetime:
    """The next time after ``now`` the schedule is due, as the client's zone shows it."""
    latest = latest_run(schedule, now=now, zone=zone).astimezone(zone)
    if schedule.frequency == Frequency.WEEKLY:
        run = _run_at(latest.date() + timedelta(days=7), schedule.hour, zone)
    else:
        following = latest.date().replace(day=1) + timedelta(days=32)
        run = _run_at(month_day(following.year, following.month, schedule.day_of_month), schedule.hour, zone)
    return run.astimezone(zone)


def due_period(schedule, *, now: datetime, zone: ZoneInfo) -> tuple[date, date] | None:
    """The period a scheduled delivery is due for now, or None: a schedule is not due for runs from
    before it existed (a schedule created on Wednesday does not send last Monday's report at once)."""
    if not schedule.active:
        return None
    run = latest_run(schedule, now=now, zone=zone)
    if run < schedule.created_at:
        return None
    return period_before(schedule.frequency, run.astimezone(zone).date())
