"""GDPR export: everything held about one contact, in one JSON document (right of access)."""

from __future__ import annotations

from django.utils import timezone

from audit.models import AuditAction
from audit.services import audit_record_in_current_client
from leads.models import Lead

CONTACT_FIELDS = ("email", "first_name", "last_name", "company", "job_title", "company_size", "phone")
ATTRIBUTION_FIELDS = (
    "keyword",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "utm_term",
    "utm_content",
)


def _iso(value):
    return value.isoformat() if value is not None else None


def lead_export(*, lead: Lead, by=None) -> dict:
    """The contact's data, attribution, lifecycle, history, notes and activities (4 queries); the
    agency's audit log records the export (``by``: who asked), naming the lead by its id only."""
    lead = Lead.objects.select_related("channel", "campaign", "offer", "landing_page", "owner").get(pk=lead.pk)
    document = {
        "exported_at": timezone.now().isoformat(),
        "contact": {name: getattr(lead, name) for name in CONTACT_FIELDS},
        "attribution": {
            "channel": lead.channel.key if lead.channel else None,
            "campaign": lead.campaign.key if lead.campaign else None,
            "offer": lead.offer.key if lead.offer else None,
            "landing_page": lead.landing_page.key if lead.landing_page else None,
            **{name: getattr(lead, name) for name in ATTRIBUTION_FIELDS},
        },
        "lifecycle": {
            "created_at": _iso(lead.created_at),
            "stage": lead.stage,
            "mql_at": _iso(lead.mql_at),
            "sql_at": _iso(lead.sql_at),
            "customer_at": _iso(lead.customer_at),
            "lost": lead.is_lost,
            "lost_at": _iso(lead.lost_at),
            "lost_reason": lead.lost_reason,
            "score": lead.score,
            "deal_value": str(lead.deal_value) if lead.deal_value is not None else None,
            "owner": lead.owner.email if lead.owner else None,
        },
        "history": [
            {
                "kind": t.kind,
                "from": t.from_stage,
                "to": t.to_stage,
                "at": _iso(t.at),
                "source": t.source,
                "reason": t.reason,
                "changes": t.changes,
            }
            for t in lead.transitions.order_by("recorded_at", "pk")
        ],
        "notes": [{"body": n.body, "created_at": _iso(n.created_at)} for n in lead.notes.all()],
        "activities": [{"kind": a.kind, "ref": a.ref, "at": _iso(a.at)} for a in lead.activities.order_by("at")],
    }
    audit_record_in_current_client(actor=by, action=AuditAction.LEAD_EXPORTED, target=lead.pk)
    return document
