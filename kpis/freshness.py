"""When each data source of the current client last showed activity (stale-data alerts, digest).

One set-based query per source, each an aggregate over an indexed or small table. A source the
client has never set up (no capture form, no email provider webhook, no tracking event ever) is
reported as ``None`` in ``configured`` so a stale rule does not call it silent; the others report
their last day (a date in the client's local calendar for the daily facts, the day of the last
timestamp otherwise).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Max, Q

from campaigns.models import EmailEvent, EmailProviderHook, ImportJob, Spend, TrackingEvent, Traffic
from kpis.selectors import local_day
from leads.models import CaptureForm, Lead, StageTransition

SOURCES = (
    "leads",
    "visits",
    "spend",
    "email_events",
    "capture_form",
    "tracking",
    "email_webhook",
)


@dataclass(frozen=True)
class Freshness:
    last: dict[str, date | None]  # source -> the last day it showed activity (None: never)
    configured: dict[str, bool]  # source -> whether the client set it up (capture form, webhook, tracking)


def _day(value: datetime | date | None) -> date | None:
    if value is None or not isinstance(value, datetime):
        return value
    return local_day(value)


def last_activity() -> Freshness:
    """The last day of activity of every source of ``SOURCES`` in the current client's schema."""
    leads = Lead.objects.aggregate(at=Max("created_at"))["at"]
    visits = Traffic.objects.filter(visits__gt=0).aggregate(
        any=Max("date"), tracked=Max("date", filter=Q(source="tracking"))
    )
    spend = Spend.objects.filter(amount__gt=0).aggregate(at=Max("date"))["at"]
    email = EmailEvent.objects.aggregate(occurred=Max("occurred_at"), received=Max("received_at"))
    captured = StageTransition.objects.filter(source="capture").aggregate(at=Max("recorded_at"))["at"]
    tracking_event = TrackingEvent.objects.aggregate(at=Max("occurred_at"))["at"]
    forms = CaptureForm.objects.filter(is_active=True).exists()
    hooks = EmailProviderHook.objects.exists()
    tracking_days = [d for d in (_day(tracking_event), visits["tracked"]) if d is not None]
    last = {
        "leads": _day(leads),
        "visits": visits["any"],
        "spend": spend,
        "email_events": _day(email["occurred"]),
        "capture_form": _day(captured),
        "tracking": max(tracking_days, default=None),
        "email_webhook": _day(email["received"]),
    }
    configured = {
        "leads": True,
        "visits": True,
        "spend": True,
        "email_events": True,
        "capture_form": forms,
        "tracking": bool(tracking_days),
        "email_webhook": hooks,
    }
    return Freshness(last=last, configured=configured)


def failed_imports_since(moment: datetime) -> list[dict]:
    """Import jobs rejected since ``moment`` (newest first, at most 10): id, kind, file, when."""
    rows = (
        ImportJob.objects.filter(status=ImportJob.Status.REJECTED, finished_at__gte=moment)
        .order_by("-finished_at")
        .values("id", "kind", "filename", "finished_at")[:10]
    )
    return list(rows)
