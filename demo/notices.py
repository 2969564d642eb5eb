"""What the demo clients' people set up so that reports and alerts reach someone from the first run:
a weekly and a monthly report per client (Vélo Nord's monthly one waits for the agency's approval, last
month's draft included), and alert rules on red statuses, anomalies and silent data. Mail goes to the
console in ``make demo`` (``EMAIL_URL``)."""

from __future__ import annotations

from alerts.models import AlertRule
from alerts.services import rule_create
from reports.models import ReportSchedule
from reports.services import delivery_request, schedule_create
from tenants.models import User

AGENCY_CONSULTANT = "consultant@agence-demo.fr"


def demo_notices_seed(*, slug: str, name: str, viewer_email: str | None, author: User | None) -> None:
    """One client's report schedules and alert rules, created once (a re-seed keeps what people changed)."""
    if not ReportSchedule.objects.exists():
        recipients = [email for email in (viewer_email, f"direction@{slug}.example") if email]
        schedule_create(
            created_by=author,
            name=f"Point hebdomadaire — {name}",
            frequency="weekly",
            weekday=0,
            hour=8,
            language="fr",
            recipients=recipients,
        )
        monthly = schedule_create(
            created_by=author,
            name=f"Bilan mensuel — {name}",
            frequency="monthly",
            day_of_month=2,
            hour=9,
            language="fr",
            recipients=recipients,
            # The struggling client's monthly review is read by the agency before it goes out.
            requires_approval=slug == "velo-nord",
        )
        if monthly.requires_approval:
            # Last month's review already drafted: the first tick of beat renders it, and it waits on the
            # reports page, with its preview, for the agency's approval.
            delivery_request(monthly, user=author)
    if not AlertRule.objects.exists():
        email = [{"type": "email", "to": AGENCY_CONSULTANT}]
        rule_create({"kind": "status_red", "channels": email}, created_by=author)
        rule_create({"kind": "anomaly", "channels": email}, created_by=author)
        rule_create({"kind": "stale", "stale_days": 3, "channels": email}, created_by=author)
