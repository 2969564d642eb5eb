"""Writes of the reports app: schedules (through ``reports.rules``), deliveries asked for by a person
(send now) or due by the calendar, approvals and unsubscribes. Sending itself is ``reports.delivery``."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from config.errors import DomainError
from kpis.selectors import local_day
from reports import rules
from reports.models import (
    DeliveryStatus,
    ReportDelivery,
    ReportSchedule,
    ReportUnsubscribe,
    Trigger,
)
from tenants.zones import client_zone

FIELDS = (
    "name",
    "frequency",
    "weekday",
    "day_of_month",
    "hour",
    "language",
    "sections",
    "recipients",
    "requires_approval",
    "active",
)
OPEN_STATUSES = (
    DeliveryStatus.QUEUED,
    DeliveryStatus.RENDERING,
    DeliveryStatus.SENDING,
    DeliveryStatus.AWAITING_APPROVAL,
)
MAX_ATTEMPTS = 5  # a delivery that failed this many times is marked failed, not retried


def schedule_limit_checked() -> None:
    """A new schedule fits under the client's limit (``DomainError`` on ``name`` otherwise)."""
    if ReportSchedule.objects.count() >= rules.MAX_SCHEDULES:
        raise DomainError(
            _("At most %(max)d report schedules per client account.") % {"max": rules.MAX_SCHEDULES}, field="name"
        )


def schedule_create(*, created_by=None, **fields) -> ReportSchedule:
    values = rules.schedule_fields_checked(**fields)
    schedule_limit_checked()
    return ReportSchedule.objects.create(**values, created_by=created_by)


def schedule_update(schedule: ReportSchedule, *, by_agency: bool = False, **fields) -> ReportSchedule:
    """``by_agency``: an agency person (or the operator) asks; only they turn approval off."""
    stored = {name: getattr(schedule, name) for name in FIELDS}
    values = rules.schedule_fields_checked(**(stored | fields))
    rules.approval_change_checked(schedule.requires_approval, values["requires_approval"], by_agency=by_agency)
    for name, value in values.items():
        setattr(schedule, name, value)
    schedule.save()
    return schedule


def schedule_delete(schedule: ReportSchedule) -> None:
    schedule.delete()


def chosen_period(schedule: ReportSchedule, period_start: date | None, *, now: datetime) -> tuple[date, date]:
    """The period a preview or a manual send covers: the week or month holding ``period_start``,
    else the last complete one (in the client's time zone)."""
    today = local_day(now)
    if period_start is None:
        return rules.period_before(schedule.frequency, today)
    return rules.period_start_checked(schedule.frequency, period_start, today=today)


def delivery_request(
    schedule: ReportSchedule, *, period_start: date | None = None, user=None, approved: bool = False
) -> ReportDelivery:
    """A manual delivery ("send now"): not bound by the once-per-period rule of scheduled ones (a
    report may be sent again), but refused while a delivery of the same period is still on its way
    (queued, rendering, sending or awaiting approval): a double click, or a script looping on the
    endpoint, does not queue one chromium render and one email per recipient per request. It is
    approved by the request when ``approved`` (an agency person asked, or the operator's command);
    otherwise a schedule that requires approval makes it wait for one like a scheduled draft."""
    start, end = chosen_period(schedule, period_start, now=timezone.now())
    now = timezone.now()
    with transaction.atomic():
        # The schedule's row lock serialises two requests, so that one of them sees the other's delivery.
        ReportSchedule.objects.select_for_update().filter(pk=schedule.pk).first()
        if ReportDelivery.objects.filter(
            schedule=schedule, period_start=start, period_end=end, status__in=OPEN_STATUSES
        ).exists():
            raise DomainError(_("A report of this period is already on its way."), field="period_start")
        return ReportDelivery.objects.create(
            schedule=schedule,
            period_start=start,
            period_end=end,
            trigger=Trigger.MANUAL,
            status=DeliveryStatus.QUEUED,
            requested_by=user,
            approved_by=user if approved and schedule.requires_approval else None,
            approved_at=now if approved and schedule.requires_approval else None,
        )


def deliveries_due(client, *, now: datetime) -> list[int]:
    """In ``client``'s schema: create the scheduled deliveries the calendar makes due (the partial
    unique constraint turns a second tick's, or a second beat's, insert into nothing), then return the
    deliveries a worker should take: queued ones, and those whose worker's lease expired mid-way.
    A suspended agency's clients get none: its people reach nothing (``tenants.access``), and nothing
    goes out in its name either until it is reinstated (then the latest period is due, once)."""
    if client.agency_id is not None and client.agency.suspended_at is not None:
        return []
    zone = client_zone(client)
    rows = []
    for schedule in ReportSchedule.objects.filter(active=True):
        period = rules.due_period(schedule, now=now, zone=zone)
        if period is not None:
            rows.append(
                ReportDelivery(
                    schedule=schedule,
                    period_start=period[0],
                    period_end=period[1],
                    trigger=Trigger.SCHEDULED,
                    status=DeliveryStatus.QUEUED,
                )
            )
    # ON CONFLICT DO NOTHING: the (schedule, period_start) constraint decides, atomically, across ticks.
    ReportDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    stalled = Q(status__in=[DeliveryStatus.RENDERING, DeliveryStatus.SENDING], claimed_until__lt=now)
    waiting = Q(status=DeliveryStatus.QUEUED)
    return list(ReportDelivery.objects.filter(waiting | stalled).order_by("pk").values_list("pk", flat=True))


def delivery_approve(delivery: ReportDelivery, *, user) -> ReportDelivery:
    """An agency person approves a draft: it is queued for sending (the caller sends the task)."""
    refusal = _("Only a report awaiting approval can be approved.")
    return _draft_decided(delivery, user=user, status=DeliveryStatus.QUEUED, refusal=refusal)


def delivery_reject(delivery: ReportDelivery, *, user) -> ReportDelivery:
    refusal = _("Only a report awaiting approval can be rejected.")
    return _draft_decided(delivery, user=user, status=DeliveryStatus.REJECTED, refusal=refusal)


def _draft_decided(delivery: ReportDelivery, *, user, status: str, refusal: str) -> ReportDelivery:
    """A draft awaiting approval moves to ``status``, under its row lock (two agency people at once:
    the second is refused with ``refusal``)."""
    with transaction.atomic():
        delivery = ReportDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status != DeliveryStatus.AWAITING_APPROVAL:
            raise DomainError(refusal, field="status")
        delivery.status = status
        delivery.approved_by = user
        delivery.approved_at = timezone.now()
        delivery.save(update_fields=["status", "approved_by", "approved_at"])
    return delivery


def unsubscribe(*, schedule_id: int, email: str) -> bool:
    """Stop sending one schedule to ``email``; False when the schedule no longer exists."""
    if not ReportSchedule.objects.filter(pk=schedule_id).exists():
        return False
    ReportUnsubscribe.objects.get_or_create(schedule_id=schedule_id, email=email.lower())
    return True
