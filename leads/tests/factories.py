"""Helpers that create CRM data through the services (never behind their back)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from leads.models import Lead, Source
from leads.services import LeadInput, lead_upsert


def days_ago(days: float) -> datetime:
    return timezone.now() - timedelta(days=days)


def make_lead(email: str = "ada@example.com", *, created_at: datetime | None = None, by=None, **fields) -> Lead:
    lead, _ = lead_upsert(
        record=LeadInput(email=email, created_at=created_at or days_ago(30), **fields), by=by, source=Source.API
    )
    return lead
