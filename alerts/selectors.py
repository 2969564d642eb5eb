"""Reads of the current client's alerts (client schema)."""

from __future__ import annotations

from django.db.models import Count

from alerts.models import Alert, AlertState


def open_alert_counts() -> dict[str, int]:
    """Kind → number of open alerts in the current client's schema (one query; kinds with none
    are absent). Read by the agency digest."""
    rows = Alert.objects.filter(state=AlertState.OPEN).values("kind").annotate(n=Count("id")).order_by()
    return {row["kind"]: row["n"] for row in rows}


def open_alert_total() -> int:
    return Alert.objects.filter(state=AlertState.OPEN).count()
