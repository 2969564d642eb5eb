"""The periodic tasks' one loop over clients: active clients only, each in its own schema."""

from datetime import timedelta

from django.db import connection
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, tenant_context

from campaigns.models import RateWindow
from campaigns.tasks import tracking_rollup
from kpis.tasks import kpi_refresh_due, kpi_snapshot_refresh_task
from leads.ratelimit import EVERYONE
from leads.tasks import capture_rate_windows_purge
from tenants.fanout import each_active_client
from tenants.models import Client


def _suspend(client: Client) -> None:
    Client.objects.filter(pk=client.pk).update(is_active=False)


def test_each_active_client_runs_in_its_schema_and_skips_inactive_ones(db, world):
    # given gamma suspended
    _suspend(world.gamma)
    # when the loop records where each call ran
    visited = each_active_client(lambda client: (client.slug, client.schema_name, connection.schema_name))
    # then alpha and beta were visited in their own schemas, gamma never
    slugs = [slug for slug, _schema, _current in visited]
    assert {"alpha", "beta"} <= set(slugs)
    assert "gamma" not in slugs
    assert all(schema == current for _slug, schema, current in visited)
    assert len(slugs) == len(set(slugs))
    # and the connection is back in the public schema
    assert connection.schema_name == get_public_schema_name()


def test_each_active_client_stops_after_the_result_that_says_stop(db, world):
    # when every call answers "stop"
    calls = each_active_client(lambda client: client.slug, stop=lambda _slug: True)
    # then only the first client was visited, and the schema is restored
    assert len(calls) == 1
    assert connection.schema_name == get_public_schema_name()


def test_the_purge_of_rate_windows_leaves_suspended_clients_alone(db, world):
    # given a window of long ago in alpha and in gamma, gamma suspended
    for client in (world.alpha, world.gamma):
        with tenant_context(client):
            RateWindow.objects.create(
                form_key="contact", visitor=EVERYONE, count=1, window_start=timezone.now() - timedelta(days=1)
            )
    _suspend(world.gamma)
    # when beat's purge runs from the public schema
    deleted = capture_rate_windows_purge()
    # then alpha's window went, gamma's stays
    assert deleted == 1
    with tenant_context(world.alpha):
        assert not RateWindow.objects.exists()
    with tenant_context(world.gamma):
        assert RateWindow.objects.count() == 1


def test_the_refresh_tick_sends_active_clients_only_and_stops_when_the_broker_fails(db, world, monkeypatch):
    # given gamma suspended and a broker that takes every message
    _suspend(world.gamma)
    sent_from: list[str] = []
    monkeypatch.setattr(kpi_snapshot_refresh_task, "apply_async", lambda **_: sent_from.append(connection.schema_name))
    # when beat's refresh tick runs
    result = kpi_refresh_due()
    # then every active client got one refresh, in its schema, and gamma none
    active = set(Client.objects.accounts().filter(is_active=True).values_list("schema_name", flat=True))
    assert set(sent_from) == active and len(sent_from) == len(active)
    assert world.gamma.schema_name not in sent_from
    assert result["failed"] == 0 and result["full"] + result["incremental"] == len(active)

    # when the broker refuses the first message
    attempts: list[str] = []

    def down(**_):
        attempts.append(connection.schema_name)
        raise OSError("broker down")

    monkeypatch.setattr(kpi_snapshot_refresh_task, "apply_async", down)
    monkeypatch.setattr(tracking_rollup, "apply_async", down)
    # then each tick stops after one attempt
    assert kpi_refresh_due() == {"incremental": 0, "full": 0, "failed": 1}
    assert tracking_rollup.apply().get() == {"clients": 0}
    assert len(attempts) == 2
