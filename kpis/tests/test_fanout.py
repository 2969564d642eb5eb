"""Work goes where there is work: one cycle of the periodic tasks (KPI refresh, tracking rollup, rate
windows purge) sends tasks only for the clients the triggers marked (tenants.PendingWork), several
clients per task, in a number of queries that does not grow with idle clients."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

import kpis.refresh
from campaigns.models import RateWindow, TrackingEvent
from campaigns.tasks import tracking_rollup, tracking_rollup_batch
from kpis.models import DirtyDay, RefreshRun
from kpis.tasks import TICK, kpi_refresh_batch, kpi_refresh_due
from leads.models import Lead
from leads.ratelimit import EVERYONE
from leads.tasks import capture_rate_windows_purge, capture_rate_windows_purge_batch
from tenants.models import Client, FanoutTick, PendingWork
from tenants.pending import CLIENTS_PER_TASK
from tenants.services import client_create

BATCH_TASKS = (kpi_refresh_batch, tracking_rollup_batch, capture_rate_windows_purge_batch)
# Noon in Paris, 06:00 in Montréal: no client's 03:00 in the quarter of an hour before.
NOON = datetime(2026, 6, 15, 10, 0, tzinfo=UTC)


@pytest.fixture
def sent(record_sends) -> list[tuple[str, str, list]]:
    """The batch tasks the cycle sends: (task name, schema sent from, arguments), nothing published."""
    return record_sends(*BATCH_TASKS)


def quiet(now: datetime) -> None:
    """No client has work waiting, and the last refresh tick was a minute before ``now``."""
    PendingWork.objects.all().delete()
    FanoutTick.objects.update_or_create(name=TICK, defaults={"at": now - timedelta(minutes=1)})


def cycle() -> None:
    """One cycle of the periodic tasks, as beat sends them (from the public schema)."""
    connection.set_schema_to_public()
    kpi_refresh_due()
    tracking_rollup()
    capture_rate_windows_purge()


def lead_in(client, email: str) -> None:
    with tenant_context(client):
        Lead.objects.create(email=email, created_at=timezone.now() - timedelta(days=1))


def event_in(client) -> None:
    with tenant_context(client):
        TrackingEvent.objects.create(
            event_id=uuid.uuid4(), type=TrackingEvent.Type.VISIT, occurred_at=timezone.now(), session="s", path="/"
        )


def window_in(client, *, age: timedelta) -> None:
    with tenant_context(client):
        RateWindow.objects.create(form_key="contact", visitor=EVERYONE, count=1, window_start=timezone.now() - age)


@time_machine.travel(NOON, tick=False)
def test_one_cycle_sends_tasks_for_the_active_clients_only_batched(db, world, sent):
    # given no work anywhere, then a lead in alpha and beta, an event in beta, a rate window in alpha
    quiet(timezone.now())
    lead_in(world.alpha, "a@alpha.test")
    lead_in(world.beta, "b@beta.test")
    event_in(world.beta)
    window_in(world.alpha, age=timedelta(hours=2))
    # when one cycle runs
    cycle()
    # then one task per kind, from the public schema, for the marked clients only (gamma: nothing)
    refresh, rollup, purge = [[args for name, _s, args in sent if name == task.name] for task in BATCH_TASKS]
    assert refresh == [[sorted([world.alpha.pk, world.beta.pk]), []]]
    assert rollup == [[[world.beta.pk]]]
    assert purge == [[[world.alpha.pk]]]
    assert {schema for _n, schema, _a in sent} == {"public"}
    # and the marks were taken
    assert not PendingWork.objects.exists()
    # and a cycle with nothing new sends nothing
    sent.clear()
    cycle()
    assert sent == []


@time_machine.travel(NOON, tick=False)
def test_many_marked_clients_go_several_per_task(db, world, sent):
    quiet(timezone.now())
    ids = list(Client.objects.accounts().values_list("pk", flat=True))
    PendingWork.objects.bulk_create([PendingWork(client_id=i, kind=PendingWork.Kind.KPIS) for i in ids])
    kpi_refresh_due()
    batches = [args[0] for _n, _s, args in sent]
    assert sorted(i for batch in batches for i in batch) == sorted(ids)
    assert all(len(batch) <= CLIENTS_PER_TASK for batch in batches)
    assert len(batches) == -(-len(ids) // CLIENTS_PER_TASK)


@time_machine.travel(NOON, tick=False)
def test_a_marked_client_is_refreshed_its_mark_cleared_and_its_windows_and_events_done(db, world, sent):
    quiet(timezone.now())
    lead_in(world.alpha, "a@alpha.test")
    event_in(world.alpha)
    window_in(world.alpha, age=timedelta(hours=2))
    cycle()
    args = {name: args for name, _s, args in sent}
    # when the refresh batch runs (in a worker it would, from the public schema)
    refreshed = kpi_refresh_batch.apply(args=args["kpis.refresh_batch"]).get()
    # then alpha was refreshed and its KPI mark is gone
    assert refreshed["incremental"] + refreshed["full"] == 1
    with tenant_context(world.alpha):
        assert RefreshRun.objects.exists() and not DirtyDay.objects.exists()
    assert not PendingWork.objects.filter(client=world.alpha).exists()
    # when the rollup and purge batches run
    rolled = tracking_rollup_batch.apply(args=args["campaigns.tracking_rollup_batch"]).get()
    purged = capture_rate_windows_purge_batch.apply(args=args["leads.capture_rate_windows_purge_batch"]).get()
    # then alpha's event is rolled up and its old window purged
    assert (rolled, purged) == ({"clients": 1, "events": 1}, 1)
    with tenant_context(world.alpha):
        assert not TrackingEvent.objects.filter(processed=False).exists()
        assert not RateWindow.objects.exists()
    # and the facts the rollup added marked alpha for the next refresh, nothing else
    assert list(PendingWork.objects.filter(client=world.alpha).values_list("kind", flat=True)) == ["kpis"]


@time_machine.travel(NOON, tick=False)
def test_a_window_not_old_yet_keeps_its_client_marked_for_the_next_purge(db, world, sent):
    quiet(timezone.now())
    window_in(world.beta, age=timedelta(minutes=5))
    capture_rate_windows_purge()
    [(_name, _schema, args)] = sent
    assert capture_rate_windows_purge_batch.apply(args=args).get() == 0
    assert PendingWork.objects.filter(client=world.beta, kind=PendingWork.Kind.RATE_WINDOWS).exists()


@time_machine.travel(NOON, tick=False)
def test_a_mark_written_while_the_refresh_runs_is_not_lost(db, world, sent, monkeypatch):
    quiet(timezone.now())
    lead_in(world.alpha, "a@alpha.test")
    real = kpis.refresh.kpi_snapshot_refresh

    def refresh_then_a_write(**options):
        result = real(**options)
        Lead.objects.create(email="meanwhile@alpha.test", created_at=timezone.now())  # after the refresh read
        return result

    monkeypatch.setattr(kpis.refresh, "kpi_snapshot_refresh", refresh_then_a_write)
    kpi_refresh_due()
    [(_name, _schema, args)] = sent
    kpi_refresh_batch.apply(args=args).get()
    # then alpha is marked again, and the next cycle sends its refresh again
    assert PendingWork.objects.filter(client=world.alpha, kind=PendingWork.Kind.KPIS).exists()
    sent.clear()
    kpi_refresh_due()
    assert [args for _n, _s, args in sent] == [[[world.alpha.pk], []]]


def test_a_failing_client_is_marked_again_and_the_batch_goes_on(db, world, monkeypatch):
    PendingWork.objects.all().delete()

    def fails_in_alpha(**options):
        if connection.schema_name == world.alpha.schema_name:
            raise RuntimeError("boom")
        return real(**options)

    real = kpis.refresh.kpi_snapshot_refresh
    monkeypatch.setattr(kpis.refresh, "kpi_snapshot_refresh", fails_in_alpha)
    result = kpi_refresh_batch.apply(args=[[world.alpha.pk, world.beta.pk], []]).get()
    assert result["failed"] == 1 and result["incremental"] + result["full"] == 1
    assert list(PendingWork.objects.values_list("client_id", "kind")) == [(world.alpha.pk, "kpis")]


def test_the_nightly_full_refresh_goes_to_the_clients_whose_3am_just_passed(db, world, sent):
    # given the last tick at 00:50 UTC: 02:50 in Paris (alpha, gamma), 20:50 the day before in Montréal
    with time_machine.travel(datetime(2026, 6, 15, 0, 50, tzinfo=UTC), tick=False):
        quiet(timezone.now() + timedelta(minutes=1))
    # when the tick of 01:05 UTC runs (03:05 in Paris)
    with time_machine.travel(datetime(2026, 6, 15, 1, 5, tzinfo=UTC), tick=False):
        kpi_refresh_due()
    # then alpha and gamma get a full refresh, beta nothing
    [(_name, _schema, (batch, full))] = sent
    assert {world.alpha.pk, world.gamma.pk} <= set(full) and set(full) == set(batch)
    assert world.beta.pk not in batch
    # and the next tick sends nothing
    sent.clear()
    with time_machine.travel(datetime(2026, 6, 15, 1, 20, tzinfo=UTC), tick=False):
        kpi_refresh_due()
    assert sent == []


def test_a_cycles_queries_do_not_grow_with_idle_clients(committed, sent):
    def measured() -> int:
        with time_machine.travel(NOON, tick=False):
            quiet(timezone.now())
            lead_in(committed.alpha, f"q{PendingWork.objects.count()}-{len(sent)}@alpha.test")
            event_in(committed.beta)
            sent.clear()
            with CaptureQueriesContext(connection) as queries:
                cycle()
            assert sorted(name for name, _s, _a in sent) == ["campaigns.tracking_rollup_batch", "kpis.refresh_batch"]
            with tenant_context(committed.beta):
                TrackingEvent.objects.all().delete()
            return len(queries)

    before = measured()
    created = [client_create(slug=f"idle-{i}", name=f"Idle {i}")[0] for i in range(3)]
    try:
        assert measured() == before
    finally:
        for client in created:
            client.delete(force_drop=True)
        # every client is left marked, as a new one is: its next refresh comes at the next tick
        connection.set_schema_to_public()
        ids = Client.objects.accounts().values_list("pk", flat=True)
        PendingWork.objects.bulk_create([PendingWork(client_id=i, kind="kpis") for i in ids], ignore_conflicts=True)
        FanoutTick.objects.filter(name=TICK).delete()
