"""Pacing rules against real day snapshots and a weekly objective, the alerts_check command, the
Slack and Teams shapes and the agency default's admin form (same rule as the API)."""

import json
from datetime import UTC, date, datetime, timedelta
from io import StringIO

from django.core.management import call_command
from django.test import override_settings
from django.utils import translation

from alerts.admin import AgencyAlertRuleForm, AlertRuleForm
from alerts.deliveries import slack_body, teams_body
from alerts.evaluate import alerts_evaluate
from alerts.models import Alert, AlertRule
from alerts.notices import notice_for
from kpis.models import Objective, Snapshot

NOW = datetime(2026, 12, 10, 12, 0, tzinfo=UTC)
EMAIL = [{"type": "email", "to": "ops@alpha.test"}]


def _days(value: float) -> None:
    for day in range(1, 11):
        Snapshot.objects.create(
            kpi="leads", period="day", start=date(2026, 12, day), value=value, as_of=NOW, definition_version=1
        )


def test_pacing_below_the_threshold_fires_with_its_numbers(in_alpha):
    AlertRule.objects.create(kind="pacing", kpi="leads", threshold=90, channels=EMAIL)
    Objective.objects.create(kpi="leads", period="week", target=70)  # 10 a day expected
    _days(5)  # 50 of 100 expected by the 10th: pacing 50 %
    (alert,) = alerts_evaluate(now=NOW).fired
    assert (alert.subject, alert.period) == ("leads", "month:2026-12-01")
    assert alert.details["pacing"] == 0.5 and alert.details["expected"] == 100.0
    with translation.override("fr"):
        lines = notice_for(alert, "fired", "fr").lines
    # French numbers (the words come from the French catalogue once merged)
    assert any(line.replace("\u202f", " ").replace("\xa0", " ").endswith(": 50,0 %") for line in lines), lines


def test_pacing_above_the_threshold_fires_nothing(in_alpha):
    AlertRule.objects.create(kind="pacing", threshold=90, channels=EMAIL)
    Objective.objects.create(kpi="leads", period="week", target=70)
    _days(9.5)
    assert alerts_evaluate(now=NOW).fired == []


def test_the_command_evaluates_now_and_prints_what_fired(in_alpha):
    AlertRule.objects.create(kind="stale", stale_source="leads", stale_days=2, channels=EMAIL)
    out = StringIO()
    call_command("alerts_check", tenant="alpha", stdout=out)
    assert "fired: stale stale:leads since:never" in out.getvalue()
    assert "alpha: 1 fired, 0 recovered, 0 closed, 1 notices queued" in out.getvalue()
    call_command("alerts_check", tenant="alpha", stdout=(again := StringIO()))
    assert "alpha: 0 fired" in again.getvalue()
    assert Alert.objects.count() == 1


def test_slack_and_teams_shapes(in_alpha):
    rule = AlertRule.objects.create(kind="status_red", kpi="leads", channels=EMAIL)
    alert = Alert.objects.create(
        rule=rule,
        rule_ref=f"c:{rule.pk}",
        kind="status_red",
        subject="leads",
        kpi="leads",
        period="month:2026-11-01",
        details={"value": 3.0, "target": 10.0, "period_kind": "month", "start": "2026-11-01"},
    )
    notice = notice_for(alert, "fired", "en")
    slack = json.loads(slack_body(notice))
    assert notice.title in slack["text"] and slack["blocks"][0]["type"] == "header"
    assert "Off target" in notice.title and "Alpha SAS" in notice.title and "Value: 3" in notice.lines
    teams = json.loads(teams_body(notice, recovered=False))
    assert teams["@type"] == "MessageCard" and teams["potentialAction"][0]["targets"][0]["uri"].endswith(
        "/c/alpha/alerts/"
    )


def test_the_admin_forms_use_the_rule(db, world, in_alpha):
    bad = AlertRuleForm(
        data={
            "kind": "status_red",
            "kpi": "nope",
            "threshold": 90,
            "stale_days": 3,
            "stale_source": "any",
            "channels": json.dumps(EMAIL),
            "active": True,
        }
    )
    assert not bad.is_valid() and "kpi" in bad.errors
    with override_settings(POULS_WEBHOOK_ALLOW_PRIVATE=False):
        private = AgencyAlertRuleForm(
            data={
                "agency": world.agency.pk,
                "kind": "anomaly",
                "threshold": 90,
                "stale_days": 3,
                "stale_source": "any",
                "active": True,
                "channels": json.dumps([{"type": "slack", "url": "http://10.0.0.1/x"}]),
            }
        )
        assert not private.is_valid() and "channels" in private.errors
    good = AgencyAlertRuleForm(
        data={
            "agency": world.agency.pk,
            "kind": "anomaly",
            "threshold": 90,
            "stale_days": 3,
            "stale_source": "any",
            "active": True,
            "channels": json.dumps(EMAIL),
        }
    )
    assert good.is_valid(), good.errors


def test_the_sweep_finds_the_deliveries_whose_task_never_came(in_alpha):
    from alerts.deliveries import deliveries_overdue
    from alerts.models import AlertDelivery

    rule = AlertRule.objects.create(kind="status_red", kpi="leads", channels=EMAIL)
    alert = Alert.objects.create(
        rule=rule, rule_ref=f"c:{rule.pk}", kind="status_red", subject="leads", period="month:2026-11-01"
    )
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    def delivery(index, **fields):
        return AlertDelivery.objects.create(alert=alert, channel_index=index, channel=EMAIL[0], event="fired", **fields)

    lost = delivery(0, created_at=now - timedelta(minutes=10))
    delivery(1, created_at=now - timedelta(seconds=30))  # its task is surely on its way
    late_retry = delivery(2, created_at=now - timedelta(hours=1), next_attempt_at=now - timedelta(minutes=5))
    delivery(3, created_at=now - timedelta(hours=1), next_attempt_at=now + timedelta(minutes=1))
    delivery(4, created_at=now - timedelta(hours=1), status="sent")
    assert deliveries_overdue(now) == [lost.pk, late_retry.pk]
