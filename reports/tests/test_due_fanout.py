"""Work goes where there is work: ``reports.due`` sends batches only for the clients whose report work
is due (reports 0004's triggers and ``reports.pending``'s marks: a delivery waiting, a schedule's next
run come in the client's zone), in queries that do not grow with idle clients; the batch creates and
sends the due deliveries once, marks the client's next run, marks a failing client again, and stops,
marking the rest, once the broker refuses."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from reports import services
from reports.models import DeliveryStatus, ReportDelivery
from reports.pending import AT_ONCE, DUE, SENDS
from reports.tasks import report_deliver_task, reports_due_batch, reports_due_task
from reports.tests.helpers import schedule
from tenants.models import Client, PendingWork
from tenants.services import agency_reinstate, agency_suspend, client_create

# Monday 15 June 2026, noon in Paris (alpha, gamma), 06:00 in Montréal (beta).
NOON = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def sent(record_sends) -> list[tuple[str, str, list]]:
    """The tasks sent (name, schema sent from, arguments), nothing published."""
    return record_sends(reports_due_batch, report_deliver_task)


def marks() -> set[tuple[int, str]]:
    return set(PendingWork.objects.filter(kind__in=[DUE, SENDS]).values_list("client_id", "kind"))


def tick() -> dict:
    connection.set_schema_to_public()
    return reports_due_task()


def batches(sent) -> list[list]:
    return [args for name, _s, args in sent if name == reports_due_batch.name]


def weekly_in(client, **fields):
    """A weekly report of ``client``, Monday 08:00 in its zone."""
    with tenant_context(client):
        return schedule(weekday=0, hour=8, **fields)


@time_machine.travel(NOON, tick=False)
def test_a_tick_sends_a_batch_for_the_clients_with_reports_due_only(db, world, sent):
    PendingWork.objects.all().delete()
    weekly_in(world.alpha)
    # the new schedule marked alpha due at once, nobody else
    assert marks() == {(world.alpha.pk, DUE)}
    assert tick() == {"clients": 1, "tasks": 1}
    assert batches(sent) == [[[world.alpha.pk], NOON.isoformat()]]
    assert marks() == set()
    sent.clear()
    assert tick() == {"clients": 0, "tasks": 0} and sent == []


@time_machine.travel(NOON, tick=False)
def test_the_batch_sends_the_due_report_once_and_marks_the_next_run(db, world, sent):
    PendingWork.objects.all().delete()
    weekly = weekly_in(world.alpha)
    weekly_in(world.beta, active=False)  # marks beta, which has nothing due
    tick()
    [batch] = batches(sent)
    sent.clear()
    assert sorted(batch[0]) == sorted([world.alpha.pk, world.beta.pk])
    assert reports_due_batch.apply(args=batch).get() == {"sent": 1, "failed": 0}
    # alpha's delivery of last week was created and sent, from alpha's schema
    with tenant_context(world.alpha):
        [delivery] = ReportDelivery.objects.filter(schedule=weekly)
    assert (delivery.period_start, delivery.status) == (datetime(2026, 6, 8).date(), DeliveryStatus.QUEUED)
    assert sent == [("reports.deliver", world.alpha.schema_name, [delivery.pk])]
    # alpha stays marked while its delivery waits, and its next run is marked: Monday 22nd, 08:00 Paris
    assert marks() == {(world.alpha.pk, SENDS), (world.alpha.pk, DUE)}
    due = PendingWork.objects.get(client=world.alpha, kind=DUE).marked_at
    assert due == datetime(2026, 6, 22, 8, 0, tzinfo=UTC)  # its wall clock, written as UTC
    # once the delivery is sent, the next ticks before the 22nd send nothing
    with tenant_context(world.alpha):
        ReportDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.SENT)
    tick()
    [batch] = batches(sent)
    sent.clear()
    assert reports_due_batch.apply(args=batch).get() == {"sent": 0, "failed": 0}
    assert marks() == {(world.alpha.pk, DUE)}
    with time_machine.travel(datetime(2026, 6, 22, 5, 55, tzinfo=UTC), tick=False):  # 07:55 in Paris
        assert tick() == {"clients": 0, "tasks": 0}
    with time_machine.travel(datetime(2026, 6, 22, 6, 0, tzinfo=UTC), tick=False):  # 08:00 in Paris
        assert tick() == {"clients": 1, "tasks": 1}
        assert reports_due_batch.apply(args=batches(sent)[0]).get() == {"sent": 1, "failed": 0}


@time_machine.travel(NOON, tick=False)
def test_the_next_run_follows_the_clients_time_zone(db, world, sent):
    PendingWork.objects.all().delete()
    PendingWork.objects.create(client=world.alpha, kind=DUE, marked_at=datetime(2026, 6, 15, 13, 0, tzinfo=UTC))
    assert tick() == {"clients": 0, "tasks": 0}  # 13:00 in Paris has not come (it is noon there)
    Client.objects.filter(pk=world.alpha.pk).update(time_zone="Asia/Tokyo")  # 19:00 there: come
    try:
        assert tick() == {"clients": 1, "tasks": 1}
    finally:
        Client.objects.filter(pk=world.alpha.pk).update(time_zone="Europe/Paris")


@time_machine.travel(NOON, tick=False)
def test_a_suspended_agencys_clients_keep_their_marks_until_it_is_back(db, world, sent):
    PendingWork.objects.all().delete()
    weekly_in(world.alpha)
    agency_suspend(world.agency)
    try:
        assert tick() == {"clients": 0, "tasks": 0}
        assert marks() == {(world.alpha.pk, DUE)}
    finally:
        agency_reinstate(world.agency)
    assert tick() == {"clients": 1, "tasks": 1}


@time_machine.travel(NOON, tick=False)
def test_a_failing_client_is_marked_again_and_the_batch_goes_on(db, world, sent, monkeypatch):
    PendingWork.objects.all().delete()
    weekly_in(world.alpha)
    weekly_in(world.beta)
    real = services.deliveries_due

    def fails_in_alpha(client, *, now):
        if client.pk == world.alpha.pk:
            raise RuntimeError("boom")
        return real(client, now=now)

    monkeypatch.setattr("reports.tasks.deliveries_due", fails_in_alpha)
    result = reports_due_batch.apply(args=[[world.alpha.pk, world.beta.pk], NOON.isoformat()]).get()
    assert result == {"sent": 1, "failed": 1}
    assert [name for name, schema, _a in sent] == ["reports.deliver"] and sent[0][1] == world.beta.schema_name
    assert (world.alpha.pk, SENDS) in marks()  # taken up at the next tick


@time_machine.travel(NOON, tick=False)
def test_broker_down_stops_the_batch_and_marks_the_clients_left(db, world, monkeypatch):
    PendingWork.objects.all().delete()
    weekly_in(world.alpha)
    weekly_in(world.beta)
    PendingWork.objects.all().delete()

    def refused(**_options):
        raise OSError("broker down")

    monkeypatch.setattr(report_deliver_task, "apply_async", refused)
    result = reports_due_batch.apply(args=[[world.alpha.pk, world.beta.pk], NOON.isoformat()]).get()
    assert result == {"sent": 0, "failed": 1}
    assert marks() == {(world.alpha.pk, SENDS), (world.beta.pk, SENDS)}
    with tenant_context(world.alpha):  # the delivery waits, queued, for the next tick
        assert list(ReportDelivery.objects.values_list("status", flat=True)) == [DeliveryStatus.QUEUED]
    # and the periodic task, its batches refused, leaves the clients marked
    monkeypatch.setattr(reports_due_batch, "apply_async", refused)
    assert tick() == {"clients": 2, "tasks": 0}
    assert marks() == {(world.alpha.pk, SENDS), (world.beta.pk, SENDS)}


@time_machine.travel(NOON, tick=False)
def test_a_ticks_queries_do_not_grow_with_idle_clients(db, world, sent):
    def measured() -> int:
        PendingWork.objects.all().delete()
        PendingWork.objects.create(client=world.alpha, kind=DUE, marked_at=AT_ONCE)
        PendingWork.objects.create(client=world.beta, kind=DUE, marked_at=timezone.now() + timedelta(days=3))
        sent.clear()
        connection.set_schema_to_public()
        with CaptureQueriesContext(connection) as queries:
            reports_due_task()
        assert batches(sent) == [[[world.alpha.pk], NOON.isoformat()]]
        return len(queries)

    for i in range(2):
        client_create(slug=f"idle-report-{i}", name=f"Idle {i}")
    two_idle = measured()
    for i in range(2, 6):
        client_create(slug=f"idle-report-{i}", name=f"Idle {i}")
    assert measured() == two_idle


def test_a_run_at_an_hour_the_autumn_change_repeats_is_due_at_its_first_occurrence(db, world, sent):
    PendingWork.objects.all().delete()
    # 02:30 on 25 October 2026 in Paris happens at 00:30 UTC (summer time), then again at 01:30 UTC
    PendingWork.objects.create(client=world.alpha, kind=DUE, marked_at=datetime(2026, 10, 25, 2, 30, tzinfo=UTC))
    with time_machine.travel(datetime(2026, 10, 25, 0, 29, tzinfo=UTC), tick=False):
        assert tick() == {"clients": 0, "tasks": 0}
    with time_machine.travel(datetime(2026, 10, 25, 0, 30, tzinfo=UTC), tick=False):
        assert tick() == {"clients": 1, "tasks": 1}


def test_the_batch_reads_its_clients_agencies_with_the_clients(db, world, sent):
    # when a batch of three clients runs (nothing due)
    connection.set_schema_to_public()
    with CaptureQueriesContext(connection) as queries:
        reports_due_batch.apply(args=[[world.alpha.pk, world.beta.pk, world.gamma.pk], NOON.isoformat()]).get()
    # then no query per client reads its agency (their suspension is checked from the clients' query)
    assert [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "tenants_agency"')] == []
