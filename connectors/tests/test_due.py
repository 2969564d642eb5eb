"""``connectors.due``: the sources whose slot has come are claimed once, in one statement, and each
gets one ``connectors.sync`` in its client's schema."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from connectors import tasks
from connectors.models import ConnectionStatus, Source, SourceKind, SourceStatus
from connectors.windows import jitter, slot_after
from tenants.models import Agency, Client

NOW = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


@pytest.fixture
def sent(monkeypatch):
    """The syncs sent: ``[(schema, kwargs)]``."""
    sends = []

    def apply_async(**options):
        sends.append((connection.schema_name, options["kwargs"]))

    monkeypatch.setattr(tasks.connector_sync_task, "apply_async", apply_async)
    return sends


def due(source_for, client, kind=SourceKind.GA4, **fields) -> Source:
    return source_for(client, kind, next_run_at=NOW - timedelta(minutes=1), status=SourceStatus.OK, **fields)


def next_runs(*sources) -> list:
    with schema_context("public"):
        return [Source.objects.get(pk=s.pk).next_run_at for s in sources]


def test_due_sources_are_sent_once_in_their_clients_schema_and_moved_to_tomorrows_slot(world, source_for, sent):
    alpha = due(source_for, world.alpha)
    beta = due(source_for, world.beta, kind=SourceKind.GOOGLE_ADS)
    later = source_for(world.gamma, SourceKind.GA4, next_run_at=NOW + timedelta(minutes=1))
    never = source_for(world.alpha, SourceKind.SEARCH_CONSOLE)  # no slot yet

    assert tasks.connectors_due(now=NOW) == {"sent": 2, "failed": 0}
    assert sorted(sent) == sorted(
        [
            (world.alpha.schema_name, {"source_id": alpha.pk, "mode": "auto"}),
            (world.beta.schema_name, {"source_id": beta.pk, "mode": "auto"}),
        ]
    )
    # the claim moved them to the next local day's slot, which a second tick leaves alone
    paris, montreal = ZoneInfo("Europe/Paris"), ZoneInfo("America/Montreal")
    assert next_runs(alpha, beta) == [slot_after(alpha.pk, paris, NOW), slot_after(beta.pk, montreal, NOW)]
    assert next_runs(later, never) == [NOW + timedelta(minutes=1), None]
    sent.clear()
    assert tasks.connectors_due(now=NOW + timedelta(minutes=15)) == {"sent": 1, "failed": 0}
    assert sent == [(world.gamma.schema_name, {"source_id": later.pk, "mode": "auto"})]


@pytest.mark.parametrize("what", ["broken source", "broken connection", "archived client", "suspended agency"])
def test_what_may_not_run_is_not_claimed(world, source_for, sent, what):
    source = due(source_for, world.alpha)
    with schema_context("public"):
        if what == "broken source":
            Source.objects.filter(pk=source.pk).update(status=SourceStatus.BROKEN)
        elif what == "broken connection":
            type(source.connection).objects.filter(pk=source.connection_id).update(status=ConnectionStatus.BROKEN)
        elif what == "archived client":
            Client.objects.filter(pk=world.alpha.pk).update(is_active=False)
        else:
            Agency.objects.filter(pk=world.agency.pk).update(suspended_at=NOW)
    assert tasks.connectors_due(now=NOW) == {"sent": 0, "failed": 0}
    assert next_runs(source) == [NOW - timedelta(minutes=1)]


def test_an_unknown_time_zone_counts_as_utc(world, source_for, sent):
    source = due(source_for, world.alpha)
    with schema_context("public"):
        Client.objects.filter(pk=world.alpha.pk).update(time_zone="Mars/Olympus")
    tasks.connectors_due(now=NOW)
    assert next_runs(source) == [datetime(2026, 12, 4, 4, 0, tzinfo=UTC) + jitter(source.pk)]


def statements(work) -> list[str]:
    """The SQL statements ``work()`` runs, less django-tenants' ``SET search_path`` (a schema switch)."""
    with CaptureQueriesContext(connection) as context:
        work()
    return [q["sql"] for q in context.captured_queries if not q["sql"].startswith("SET search_path")]


def test_the_claim_is_one_query_whatever_the_number_of_clients(world, source_for, sent):
    due(source_for, world.alpha)
    assert len(statements(lambda: tasks.connectors_due(now=NOW))) == 1
    for client in (world.beta, world.gamma):
        due(source_for, client)
    with schema_context("public"):
        Source.objects.update(next_run_at=NOW - timedelta(minutes=1))
    assert len(statements(lambda: tasks.connectors_due(now=NOW))) == 1
    assert len(sent) == 4


def test_with_the_broker_down_the_unsent_sources_stay_due(world, source_for, monkeypatch):
    first, second = due(source_for, world.alpha), due(source_for, world.beta)
    monkeypatch.setattr(tasks, "task_send", lambda *args, **kwargs: False)
    assert tasks.connectors_due(now=NOW) == {"sent": 0, "failed": 2}
    assert next_runs(first, second) == [NOW, NOW]


def test_the_sync_task_refuses_the_public_schema(db):
    with pytest.raises(ValueError, match="client's schema"):
        tasks.connector_sync_task.run(source_id=1)


def test_transient_failures_are_retried_with_a_countdown_doubling_from_the_setting(settings):
    settings.POULS_CONNECTOR_RETRY_BASE = 2
    assert [tasks.retry_countdown(n) for n in range(3)] == [60, 120, 240]
