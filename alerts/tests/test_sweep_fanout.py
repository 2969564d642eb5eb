"""Work goes where there is work: ``alerts.deliveries_sweep`` sends batches only for the clients whose
pending deliveries marked them (alerts 0003's trigger), in queries that do not grow with idle clients;
the batch sends each client's overdue deliveries, marks a failing client again and stops, marking the
rest, once the broker refuses."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from alerts import deliveries
from alerts.models import Alert, AlertDelivery, AlertRule
from alerts.tasks import PENDING_KIND, alert_deliver_task, alert_deliveries_sweep, alert_deliveries_sweep_batch
from tenants.models import PendingWork
from tenants.services import client_create

EMAIL = [{"type": "email", "to": "ops@alpha.test"}]


@pytest.fixture
def sent(record_sends) -> list[tuple[str, str, list]]:
    """The tasks sent (name, schema sent from, arguments), nothing published."""
    return record_sends(alert_deliveries_sweep_batch, alert_deliver_task)


def pending_delivery(client, *, age=timedelta(minutes=10)) -> int:
    """A delivery of ``client`` whose task never came (created ``age`` ago, never attempted)."""
    with tenant_context(client):
        rule = AlertRule.objects.create(kind="status_red", kpi="leads", channels=EMAIL)
        alert = Alert.objects.create(
            rule=rule, rule_ref=f"c:{rule.pk}", kind="status_red", subject="leads", period="month:2026-11-01"
        )
        delivery = AlertDelivery.objects.create(
            alert=alert, channel_index=0, channel=EMAIL[0], event="fired", created_at=timezone.now() - age
        )
        return delivery.pk


def marked() -> list[int]:
    return sorted(PendingWork.objects.filter(kind=PENDING_KIND).values_list("client_id", flat=True))


def test_the_sweep_sends_a_batch_for_the_clients_with_pending_deliveries_only(db, world, sent):
    PendingWork.objects.all().delete()
    pending_delivery(world.beta)
    assert marked() == [world.beta.pk]  # the trigger marked beta, nobody else
    connection.set_schema_to_public()
    assert alert_deliveries_sweep() == {"clients": 1, "tasks": 1}
    assert sent == [("alerts.deliveries_sweep_batch", "public", [[world.beta.pk]])]
    assert marked() == []  # taken
    sent.clear()
    assert alert_deliveries_sweep() == {"clients": 0, "tasks": 0} and sent == []


def test_the_batch_sends_the_overdue_deliveries_and_marks_a_failing_client_again(db, world, sent, monkeypatch):
    lost = pending_delivery(world.alpha)
    pending_delivery(world.beta)
    PendingWork.objects.all().delete()
    real = deliveries.deliveries_overdue

    def fails_in_beta(now=None):
        if connection.schema_name == world.beta.schema_name:
            raise RuntimeError("boom")
        return real(now)

    monkeypatch.setattr(deliveries, "deliveries_overdue", fails_in_beta)
    result = alert_deliveries_sweep_batch.apply(args=[[world.beta.pk, world.alpha.pk, world.gamma.pk]]).get()
    assert result == {"ok": 2, "failed": 0, "errors": 1}
    # alpha's lost delivery was sent, from alpha's schema, once
    assert sent == [("alerts.deliver", world.alpha.schema_name, [lost])]
    # beta (failed) is marked again; alpha too, its delivery still pending until the worker takes it
    assert marked() == sorted([world.alpha.pk, world.beta.pk])


def test_broker_down_stops_the_batch_and_marks_the_clients_left(db, world, monkeypatch):
    pending_delivery(world.alpha)
    pending_delivery(world.beta)
    PendingWork.objects.all().delete()

    def refused(**_options):
        raise OSError("broker down")

    monkeypatch.setattr(alert_deliver_task, "apply_async", refused)
    result = alert_deliveries_sweep_batch.apply(args=[[world.alpha.pk, world.beta.pk, world.gamma.pk]]).get()
    assert result == {"ok": 0, "failed": 1, "errors": 0}
    assert marked() == sorted([world.alpha.pk, world.beta.pk, world.gamma.pk])
    # and the periodic task, the broker refusing its batches, leaves every client marked
    monkeypatch.setattr(alert_deliveries_sweep_batch, "apply_async", refused)
    connection.set_schema_to_public()
    assert alert_deliveries_sweep() == {"clients": 3, "tasks": 0}
    assert marked() == sorted([world.alpha.pk, world.beta.pk, world.gamma.pk])


def test_the_sweeps_queries_do_not_grow_with_idle_clients(db, world, sent):
    def measured() -> int:
        PendingWork.objects.all().delete()
        pending_delivery(world.alpha)
        connection.set_schema_to_public()
        sent.clear()
        with CaptureQueriesContext(connection) as queries:
            alert_deliveries_sweep()
        assert [args for _n, _s, args in sent] == [[[world.alpha.pk]]]
        return len(queries)

    for i in range(2):
        client_create(slug=f"idle-alert-{i}", name=f"Idle {i}")
    two_idle = measured()
    for i in range(2, 6):
        client_create(slug=f"idle-alert-{i}", name=f"Idle {i}")
    assert measured() == two_idle
