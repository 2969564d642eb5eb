"""Evaluating alert rules against real snapshots (PostgreSQL, alpha's schema): a red status opens one
alert per rule, subject and period, never a second in the same period, and its clearing resolves it
with a recovery notice; an agency's default applies to its clients; stale data and failed imports
fire; an anomaly carries its explanation."""

from datetime import UTC, date, datetime, timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from alerts.evaluate import alerts_evaluate
from alerts.models import Alert, AlertDelivery, AlertRule
from alerts.selectors import open_alert_counts
from annotations.tests.factories import AnnotationFactory
from kpis.models import Snapshot
from leads.models import Lead
from portfolio.models import AgencyAlertRule

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
NOVEMBER = date(2026, 11, 1)
EMAIL = [{"type": "email", "to": "ops@alpha.test"}]


def snapshot(kpi="leads", start=NOVEMBER, period="month", status="red", **fields) -> Snapshot:
    values = {"value": 12.0, "target": 40.0, "previous_value": 30.0, "change": -18.0} | fields
    return Snapshot.objects.update_or_create(
        kpi=kpi,
        period=period,
        start=start,
        dimension=fields.pop("dimension", ""),
        key="",
        defaults={**values, "status": status, "as_of": NOW, "definition_version": 1},
    )[0]


def test_a_red_status_fires_once_per_period_and_recovers(in_alpha):
    rule = AlertRule.objects.create(kind="status_red", kpi="leads", channels=EMAIL)
    row = snapshot()
    first = alerts_evaluate(now=NOW)
    assert [(a.subject, a.period) for a in first.fired] == [("leads", "month:2026-11-01")]
    alert = Alert.objects.get()
    assert alert.rule == rule and alert.state == "open"
    assert alert.details["value"] == 12.0 and alert.details["target"] == 40.0
    assert list(AlertDelivery.objects.values_list("event", "channel_index")) == [("fired", 0)]
    assert open_alert_counts() == {"status_red": 1}
    # a second evaluation in the same period fires nothing more
    again = alerts_evaluate(now=NOW + timedelta(hours=2))
    assert (again.fired, again.recovered) == ([], [])
    assert Alert.objects.count() == 1 and AlertDelivery.objects.count() == 1
    # the status clears: resolved once, with a recovery notice
    row.status = "green"
    row.save()
    cleared = alerts_evaluate(now=NOW + timedelta(hours=3))
    assert [a.pk for a in cleared.recovered] == [alert.pk]
    alert.refresh_from_db()
    assert alert.state == "resolved" and alert.resolved_at is not None
    assert sorted(AlertDelivery.objects.values_list("event", flat=True)) == ["fired", "recovered"]
    assert open_alert_counts() == {}
    # red again in the same period: never re-fires
    row.status = "red"
    row.save()
    assert alerts_evaluate(now=NOW + timedelta(hours=4)).fired == []
    assert Alert.objects.count() == 1


def test_a_rule_without_kpi_watches_the_headline_totals_and_ignores_other_rows(in_alpha):
    AlertRule.objects.create(kind="status_red", channels=EMAIL)
    snapshot("leads")
    snapshot("cost_per_lead")
    snapshot("visits")  # not a headline KPI
    snapshot("leads", dimension="channel")  # a breakdown row
    snapshot("mqls", status="amber")
    fired = alerts_evaluate(now=NOW).fired
    assert sorted(a.subject for a in fired) == ["cost_per_lead", "leads"]


def test_an_inactive_rule_fires_nothing_and_its_open_alerts_close_quietly(in_alpha):
    rule = AlertRule.objects.create(kind="status_red", kpi="leads", channels=EMAIL)
    snapshot()
    alerts_evaluate(now=NOW)
    rule.active = False
    rule.save()
    outcome = alerts_evaluate(now=NOW)
    assert len(outcome.closed) == 1 and outcome.recovered == []
    assert AlertDelivery.objects.filter(event="recovered").count() == 0


def test_an_agency_default_applies_to_each_of_its_clients_only(db, world, in_client):
    default = AgencyAlertRule.objects.create(agency=world.agency, kind="status_red", kpi="leads", channels=EMAIL)
    try:
        for client in (world.alpha, world.gamma):
            with tenant_context(client):
                snapshot()
        with tenant_context(world.alpha):
            fired = alerts_evaluate(now=NOW).fired
            assert [(a.rule_ref, a.agency_rule_id) for a in fired] == [(f"a:{default.pk}", default.pk)]
        with tenant_context(world.gamma):  # another agency's client
            assert alerts_evaluate(now=NOW).fired == []
    finally:
        connection.set_schema_to_public()


def test_an_anomaly_fires_with_its_numbers_and_explanation(in_alpha):
    AlertRule.objects.create(kind="anomaly", kpi="leads", channels=EMAIL)
    AnnotationFactory(start=date(2026, 12, 2), text="Formulaire cassé")
    snapshot(
        period="day",
        start=date(2026, 12, 2),
        status=None,
        anomaly="down",
        baseline_median=30.0,
        baseline_low=25.0,
        baseline_high=35.0,
    )
    snapshot(period="day", start=date(2026, 11, 20), status=None, anomaly="down")  # not recent
    fired = alerts_evaluate(now=NOW).fired
    assert [(a.period, a.details["direction"], a.details["explanation"]) for a in fired] == [
        ("day:2026-12-02", "down", ["Formulaire cassé"])
    ]


def test_stale_rules_fire_on_silence_and_recover_on_activity(in_alpha):
    AlertRule.objects.create(kind="stale", stale_source="leads", stale_days=3, channels=EMAIL)
    Lead.objects.create(email="old@alpha.test", created_at=NOW - timedelta(days=5))
    fired = alerts_evaluate(now=NOW).fired
    assert [(a.subject, a.period) for a in fired] == [("stale:leads", "since:2026-11-28")]
    assert fired[0].details["silent_days"] == 5
    Lead.objects.create(email="new@alpha.test", created_at=timezone.now())
    later = alerts_evaluate(now=timezone.now())
    assert [a.subject for a in later.recovered] == ["stale:leads"]


def test_a_failed_import_fires_once(in_alpha):
    from campaigns.models import ImportJob

    AlertRule.objects.create(kind="stale", stale_source="import_failed", stale_days=2, channels=EMAIL)
    job = ImportJob.objects.create(kind="leads", data=b"x", status="rejected", finished_at=timezone.now())
    assert [a.subject for a in alerts_evaluate().fired] == [f"import:{job.pk}"]
    assert alerts_evaluate().fired == []
