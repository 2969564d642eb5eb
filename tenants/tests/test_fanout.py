"""The periodic tasks visit active clients only, each in its own schema."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.models import RateWindow
from campaigns.tasks import tracking_rollup, tracking_rollup_batch
from kpis.tasks import kpi_refresh_batch, kpi_refresh_due
from leads.ratelimit import EVERYONE
from leads.tasks import capture_rate_windows_purge, capture_rate_windows_purge_batch
from tenants.models import Client, PendingWork


def _suspend(client: Client) -> None:
    Client.objects.filter(pk=client.pk).update(is_active=False)


def test_the_purge_of_rate_windows_leaves_suspended_clients_alone(db, world, monkeypatch):
    # given a window of long ago in alpha and in gamma (each marks its client), gamma suspended
    PendingWork.objects.all().delete()
    for client in (world.alpha, world.gamma):
        with tenant_context(client):
            RateWindow.objects.create(
                form_key="contact", visitor=EVERYONE, count=1, window_start=timezone.now() - timedelta(days=1)
            )
    _suspend(world.gamma)
    # when beat's purge runs from the public schema (its batches run at once)
    ran: list[int] = []
    monkeypatch.setattr(
        capture_rate_windows_purge_batch,
        "apply_async",
        lambda *, args, **_: ran.append(capture_rate_windows_purge_batch.apply(args=args).get()),
    )
    assert capture_rate_windows_purge() == {"clients": 1, "tasks": 1}
    # then alpha's window went, gamma's stays (and so does its mark, for when it is reactivated)
    assert ran == [1]
    with tenant_context(world.alpha):
        assert not RateWindow.objects.exists()
    with tenant_context(world.gamma):
        assert RateWindow.objects.count() == 1
    assert list(PendingWork.objects.values_list("client_id", flat=True)) == [world.gamma.pk]


def test_the_refresh_tick_sends_active_clients_only_and_stops_when_the_broker_fails(db, world, monkeypatch):
    # given every client with work waiting, gamma suspended, and a broker that takes every message
    clients = list(Client.objects.accounts())
    PendingWork.objects.all().delete()
    for kind in (PendingWork.Kind.KPIS, PendingWork.Kind.TRACKING):
        PendingWork.objects.bulk_create([PendingWork(client=client, kind=kind) for client in clients])
    _suspend(world.gamma)
    batches: list[list[int]] = []
    monkeypatch.setattr(kpi_refresh_batch, "apply_async", lambda *, args, **_: batches.append(args[0]))
    # when beat's refresh tick runs
    result = kpi_refresh_due()
    # then every active client is in one batch, and gamma in none
    active = set(Client.objects.accounts().filter(is_active=True).values_list("pk", flat=True))
    sent = [client_id for batch in batches for client_id in batch]
    assert set(sent) == active and len(sent) == len(active)
    assert result["failed"] is False and result["clients"] == len(active)

    # when the broker refuses the first message
    attempts: list[str] = []

    def down(**_):
        attempts.append(connection.schema_name)
        raise OSError("broker down")

    PendingWork.objects.bulk_create(
        [PendingWork(client=client, kind="kpis") for client in clients], ignore_conflicts=True
    )
    monkeypatch.setattr(kpi_refresh_batch, "apply_async", down)
    monkeypatch.setattr(tracking_rollup_batch, "apply_async", down)
    # then each tick stops after one attempt, and the clients keep their marks for the next tick
    assert kpi_refresh_due()["tasks"] == 0
    assert tracking_rollup.apply().get()["tasks"] == 0
    assert len(attempts) == 2
    for kind in ("kpis", "tracking"):
        assert set(PendingWork.objects.filter(kind=kind).values_list("client_id", flat=True)) == {c.pk for c in clients}
