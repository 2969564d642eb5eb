"""Writes of a client's alert rules: every field goes through ``alerts.rules.rule_clean``."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from alerts.models import MAX_RULES, AlertRule
from alerts.rules import RULE_FIELDS, rule_change_clean, rule_clean, rules_count_check
from portfolio.alert_rule_fields import AlertKind, StaleSource
from portfolio.models import MAX_AGENCY_ALERT_RULES, AgencyAlertRule

# A platform source without a successful sync for this many days is silent (the agency default rule made
# on the first connection; the daily sync makes 2 days one missed run and a retry).
CONNECTOR_STALE_DAYS = 2


def rule_create(data: dict, *, created_by=None) -> AlertRule:
    """A new rule of the current client (``ValidationError`` with field errors when refused)."""
    with transaction.atomic():
        # Serialised per client: two concurrent creations cannot both pass the cap.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"alert-rules:{connection.schema_name}"])
        rules_count_check(AlertRule.objects.count(), MAX_RULES)
        cleaned = rule_clean({k: v for k, v in data.items() if k in RULE_FIELDS})
        return AlertRule.objects.create(**cleaned, created_by=created_by)


def rule_update(rule: AlertRule, data: dict) -> AlertRule:
    return _changed(rule, rule_change_clean(rule, data))


def rule_delete(rule: AlertRule) -> None:
    rule.delete()


def agency_rule_create(data: dict, *, agency) -> AgencyAlertRule:
    """A default rule for all of ``agency``'s clients (agency people only: the caller checks). Only
    built-in KPIs: each client's custom KPIs differ."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"agency-alert-rules:{agency.pk}"])
        rules_count_check(AgencyAlertRule.objects.filter(agency=agency).count(), MAX_AGENCY_ALERT_RULES)
        cleaned = rule_clean({k: v for k, v in data.items() if k in RULE_FIELDS}, client_level=False)
        return AgencyAlertRule.objects.create(**cleaned, agency=agency)


def agency_connector_rule_ensure(*, agency, actor) -> AgencyAlertRule | None:
    """On an agency's first platform connection: its default rule "a platform source broken or silent
    for CONNECTOR_STALE_DAYS days", mailing the person who connected, unless the agency already watches
    its sources (then None). A broken connector should not wait for someone to think of a rule."""
    if AgencyAlertRule.objects.filter(agency=agency, kind=AlertKind.STALE, stale_source=StaleSource.CONNECTOR).exists():
        return None
    channels = [{"type": "email", "to": actor.email}] if actor is not None and actor.email else []
    if not channels:
        return None
    data = {
        "kind": AlertKind.STALE,
        "stale_source": StaleSource.CONNECTOR,
        "stale_days": CONNECTOR_STALE_DAYS,
        "channels": channels,
    }
    try:
        return agency_rule_create(data, agency=agency)
    except ValidationError:  # the agency's rule count is at its maximum: its own rules stand
        return None


def agency_rule_update(rule: AgencyAlertRule, data: dict) -> AgencyAlertRule:
    """Change an agency's default rule (the caller checked the user works for its agency)."""
    return _changed(rule, rule_change_clean(rule, data, client_level=False))


def _changed(rule, cleaned: dict):
    for name, value in cleaned.items():
        setattr(rule, name, value)
    rule.save()
    return rule


def agency_rule_delete(rule: AgencyAlertRule) -> None:
    """Its open alerts in the clients' schemas are closed quietly by their next evaluation (the rule
    is no longer in force)."""
    rule.delete()
