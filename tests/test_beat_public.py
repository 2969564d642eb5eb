"""Beat reads one place: the public schema's django-celery-beat tables. A tick (and the schedule's
reload) costs the same queries with 3 clients or 6; no client schema, nor the template new clients are
cloned from, has beat tables; every CELERY_BEAT_SCHEDULE entry is loaded and, once due, sent to the
broker with the public schema's header (its task fans out to the clients itself)."""

import json
import uuid
from datetime import timedelta

import pytest
from celery.utils.imports import symbol_by_name
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_celery_beat.models import (
    ClockedSchedule,
    CrontabSchedule,
    IntervalSchedule,
    PeriodicTask,
    PeriodicTasks,
    SolarSchedule,
)

from config.beat import public_entries
from config.celery import app
from tenants.models import Client
from tenants.services import client_create

EXTRA_SLUGS = ("beat-one", "beat-two", "beat-three")


def _forget_beat_rows() -> None:
    connection.set_schema_to_public()
    PeriodicTask.objects.all().delete()
    PeriodicTasks.objects.all().delete()
    for model in (IntervalSchedule, CrontabSchedule, SolarSchedule, ClockedSchedule):
        model.objects.all().delete()


def _forget_extra_clients() -> None:
    connection.set_schema_to_public()
    for client in Client.objects.filter(slug__in=EXTRA_SLUGS):
        client.delete(force_drop=True)


@pytest.fixture
def beat_queue(committed):
    """The tasks beat sends go to a queue of their own (deleted afterwards); beat's rows, and the
    clients a test adds, are removed afterwards (the session's other tests share this database)."""
    queue, previous_queue = f"pouls-beat-{uuid.uuid4().hex[:8]}", app.conf.task_default_queue
    app.conf.task_default_queue = queue
    _forget_beat_rows()
    _forget_extra_clients()
    try:
        yield queue
    finally:
        app.conf.task_default_queue = previous_queue
        _forget_beat_rows()
        _forget_extra_clients()
        with app.connection_for_write() as broker:
            broker.default_channel.queue_delete(queue)


def _scheduler():
    """The configured scheduler, made as `celery beat` makes it (its first read of the schedule included)."""
    return symbol_by_name(app.conf.beat_scheduler)(app=app, lazy=False)


def _tick_queries(scheduler) -> tuple[int, int]:
    """Queries of one ordinary tick, and of one tick that reloads the whole schedule (every 5 minutes,
    or when the schedule changed)."""
    with CaptureQueriesContext(connection) as plain:
        scheduler.tick()
    PeriodicTasks.update_changed()
    with CaptureQueriesContext(connection) as reload:
        scheduler.tick()
    return len(plain), len(reload)


def test_a_tick_costs_the_same_queries_whatever_the_number_of_clients(beat_queue, world):
    # alpha, beta, gamma, and whatever clients earlier tests of the session left (the demo's)
    before = Client.objects.exclude(schema_name="public").count()
    assert before >= 3
    _scheduler()  # the first start of beat creates the rows of the entries
    with CaptureQueriesContext(connection) as start_with_three:
        scheduler = _scheduler()  # a restart: the rows updated from the settings
    scheduler.tick()  # the first tick builds the heap
    with_three = _tick_queries(scheduler)

    for slug in EXTRA_SLUGS:
        client_create(slug=slug, name=slug.title())
    connection.set_schema_to_public()
    assert Client.objects.exclude(schema_name="public").count() == before + len(EXTRA_SLUGS)

    assert _tick_queries(scheduler) == with_three
    plain, reload = with_three
    assert plain <= 20 and reload <= 20, with_three
    with CaptureQueriesContext(connection) as start_with_six:
        _scheduler()
    assert len(start_with_six) == len(start_with_three)


def test_no_client_schema_nor_the_template_has_beat_tables(db, world):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables"
            " WHERE table_name IN ('django_celery_beat_periodictask', 'annotations_annotation')"
        )
        schemas_of = {}
        for schema, table in cursor.fetchall():
            schemas_of.setdefault(table, set()).add(schema)
    clients = {world.alpha.schema_name, world.beta.schema_name, world.gamma.schema_name, "tenant_template"}
    assert clients <= schemas_of["annotations_annotation"]  # the schemas are there, migrated
    assert schemas_of["django_celery_beat_periodictask"] == {"public"}


def test_every_scheduled_entry_is_loaded_and_sent_from_the_public_schema_once_due(beat_queue):
    scheduler = _scheduler()
    names = {f"{name}@public" for name in settings.CELERY_BEAT_SCHEDULE}
    assert names <= set(scheduler.schedule)
    expiry = {
        f"{name}@public": entry["options"]["expires"]
        for name, entry in settings.CELERY_BEAT_SCHEDULE.items()
        if "expires" in entry.get("options", {})
    }
    assert {name: PeriodicTask.objects.get(name=name).expire_seconds for name in expiry} == expiry

    # Their last run two hours ago: all due at the next reload (one task sent per tick).
    PeriodicTask.objects.filter(name__in=names).update(last_run_at=timezone.now() - timedelta(hours=2))
    PeriodicTasks.update_changed()
    for _ in range(len(names) + 2):
        scheduler.tick()

    sent = {}
    with app.connection_for_read() as broker:
        queue = broker.SimpleQueue(beat_queue)
        try:
            while len(sent) < len(names):
                message = queue.get(timeout=5)
                sent[message.headers["periodic_task_name"]] = message.headers
                message.ack()
        finally:
            queue.close()
    assert set(sent) == names
    for name, headers in sent.items():
        assert headers["task"] == settings.CELERY_BEAT_SCHEDULE[name.removesuffix("@public")]["task"]
        assert headers["_schema_name"] == "public"
        assert (headers["expires"] is not None) == (name in expiry)
    scheduler.sync()  # beat writes the runs down every few minutes; now
    assert all(PeriodicTask.objects.get(name=name).total_run_count == 1 for name in names)
    assert json.loads(PeriodicTask.objects.get(name="connectors-due@public").headers) == {"_schema_name": "public"}


def test_an_entry_for_another_schema_than_the_public_one_is_refused():
    """Nothing would send it there any more: its task must fan out from the public schema."""
    with pytest.raises(ImproperlyConfigured, match="tenant_schemas"):
        public_entries({"per-client": {"task": "kpis.refresh_due", "schedule": 60.0, "tenant_schemas": ["c_alpha"]}})
    entries = public_entries({"plain": {"task": "kpis.refresh_due", "schedule": 60.0, "options": {"expires": 50}}})
    assert entries == {
        "plain@public": {
            "task": "kpis.refresh_due",
            "schedule": 60.0,
            "options": {"headers": {"_schema_name": "public"}, "expire_seconds": 50},
        }
    }
