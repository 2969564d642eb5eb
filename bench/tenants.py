"""Benchmark: what walks every client, as the clients grow (issue 18, "What it must show").

    .venv/bin/python bench/tenants.py [--clients 1000] [--requests 30]

Creates a throw-away database ``<DATABASE_URL's name>_tenants_<pid>_<time>`` on DATABASE_URL's server
(else the embedded one), migrates it, creates ``--clients`` clients one by one with the service call
(``tenants.services.client_create``), and at 100 clients and at ``--clients`` prints a row: the creation
time per client (median, p95, first 50 against last 50), ``manage.py migrate`` with nothing to apply (a
subprocess, start-up included), one beat tick (plain and reloading the schedule: queries and time), the
tasks one cycle of every periodic fan-out sends (KPI refresh, tracking rollup, rate windows' purge,
import and alert-delivery sweeps, reports and digests due) when 10 clients have work, and the portfolio
page's and API's p95 — each beside the issue's figure and the target at 1,000 clients. The database is
dropped at the end, whatever happens."""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from harness import ROOT, django_on_throwaway_database, machine, percentile
from migrate_noop import timed_migrate
from portfolio_page import _p, portfolio_timings, seed_headlines

# The table (issue 18), at the column nearest N, and the targets at 1,000 clients.
BEFORE = {
    100: {
        "migrate": "32.3 s",
        "create": "2.5 s",
        "tick": "205 q / ~80 ms",
        "cycle": "400",
        "page": "288 ms",
        "api": "97 ms",
    },
    300: {
        "migrate": "112.5 s",
        "create": "2.75-3.3 s",
        "tick": "605 q / 195-289 ms",
        "cycle": "1,200",
        "page": "783 ms",
        "api": "370 ms",
    },
}
TARGET = {
    "migrate": "<= 15 s",
    "create": "<= 0.5 s, flat",
    "tick": "<= 20 q",
    "cycle": "<= 20",
    "page": "<= 100 ms",
    "api": "<= 100 ms",
}
ACTIVE = 10  # clients given work before the cycle
NOON = datetime(2026, 6, 16, 10, 0, tzinfo=UTC)  # a Tuesday: no nightly full refresh, no digest due


def beat_tick() -> tuple[tuple[int, float], tuple[int, float]]:
    """Queries and milliseconds of one plain tick and of one that reloads the schedule, the scheduler
    made as `celery beat` makes it (as tests/test_beat_public.py does); what it sends goes to a queue
    of its own, deleted afterwards."""
    from celery.utils.imports import symbol_by_name
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django_celery_beat.models import PeriodicTasks

    from config.celery import app

    connection.set_schema_to_public()
    queue, previous = f"pouls-bench-beat-{uuid.uuid4().hex[:8]}", app.conf.task_default_queue
    app.conf.task_default_queue = queue
    try:
        scheduler = symbol_by_name(app.conf.beat_scheduler)(app=app, lazy=False)
        scheduler.tick()  # the first tick builds the heap
        figures = []
        for reload in (False, True):
            if reload:
                PeriodicTasks.update_changed()
            # the log keeps 9,000 queries: full, it would show none captured
            connection.queries_log.clear()
            with CaptureQueriesContext(connection) as queries:
                started = time.perf_counter()
                scheduler.tick()
                figures.append((len(queries), (time.perf_counter() - started) * 1000))
        return figures[0], figures[1]
    finally:
        app.conf.task_default_queue = previous
        with app.connection_for_write() as broker:
            broker.default_channel.queue_delete(queue)


def cycle_tasks(clients) -> tuple[int, int]:
    """Tasks one 15-minute cycle of every periodic fan-out sends (nothing published) when ``clients``
    each got a lead (dirty days) and a tracking event, as kpis/tests/test_fanout.py counts them; and
    how many clients they carry."""
    import time_machine
    from django.db import connection
    from django.utils import timezone
    from django_tenants.utils import tenant_context

    from alerts.digest import digest_batch, digest_due
    from alerts.tasks import alert_deliveries_sweep, alert_deliveries_sweep_batch
    from campaigns.imports.jobs import import_jobs_sweep, import_jobs_sweep_batch
    from campaigns.models import TrackingEvent
    from campaigns.tasks import tracking_rollup, tracking_rollup_batch
    from kpis.tasks import TICK, kpi_refresh_batch, kpi_refresh_due
    from leads.models import Lead
    from leads.tasks import capture_rate_windows_purge, capture_rate_windows_purge_batch
    from reports.tasks import reports_due_batch, reports_due_task
    from tenants.models import FanoutTick, PendingWork

    batches = (
        kpi_refresh_batch,
        tracking_rollup_batch,
        capture_rate_windows_purge_batch,
        import_jobs_sweep_batch,
        alert_deliveries_sweep_batch,
        reports_due_batch,
        digest_batch,
    )
    ticks = (
        kpi_refresh_due,
        tracking_rollup,
        capture_rate_windows_purge,
        import_jobs_sweep,
        alert_deliveries_sweep,
        reports_due_task,
        digest_due,
    )
    sent: list[list] = []
    with ExitStack() as stack:
        stack.enter_context(time_machine.travel(NOON, tick=False))
        for task in batches:
            stack.callback(setattr, task, "apply_async", task.apply_async)
            task.apply_async = lambda *, args=(), **_: sent.append(list(args))
        connection.set_schema_to_public()
        PendingWork.objects.all().delete()
        FanoutTick.objects.update_or_create(name=TICK, defaults={"at": timezone.now() - timedelta(minutes=1)})
        for client in clients:
            with tenant_context(client):
                Lead.objects.create(email=f"{uuid.uuid4().hex[:8]}@bench.test", created_at=timezone.now())
                TrackingEvent.objects.create(
                    event_id=uuid.uuid4(),
                    type=TrackingEvent.Type.VISIT,
                    occurred_at=timezone.now(),
                    session=uuid.uuid4().hex,  # a new visit each time this runs
                    path="/",
                )
        connection.set_schema_to_public()
        for tick in ticks:
            tick()
        PendingWork.objects.all().delete()
    return len(sent), sum(len(args[0]) for args in sent)


def row(n: int, creations: list[float], owner, seeded: list, clients: list, requests: int) -> None:
    """Measure and print the figures at ``n`` clients."""
    before = BEFORE[100 if n < 200 else 300]
    column = "100" if n < 200 else "300"

    def line(label: str, now: str, key: str) -> None:
        print(f"  {label:<34} {now:<58} issue at {column}: {before[key]:<20} target at 1,000: {TARGET[key]}")

    print(f"\n== {n} clients ==", flush=True)
    first, last = creations[:50], creations[-50:]
    line(
        "create one client (service call)",
        f"median {statistics.median(creations):.2f} s, p95 {percentile(creations, 0.95):.2f} s; "
        f"first 50 {statistics.median(first):.2f} s, last 50 {statistics.median(last):.2f} s",
        "create",
    )
    seconds, summary = timed_migrate(ROOT)
    line("migrate, nothing to apply", f"{seconds:.1f} s ({summary.strip()})", "migrate")
    (plain_q, plain_ms), (reload_q, reload_ms) = beat_tick()
    line("beat tick (plain / reload)", f"{plain_q} q {plain_ms:.0f} ms / {reload_q} q {reload_ms:.0f} ms", "tick")
    tasks, carried = cycle_tasks(clients[:ACTIVE])
    line(f"one cycle, {min(ACTIVE, n)} active clients", f"{tasks} tasks ({carried} client slots)", "cycle")
    seed_headlines(clients[len(seeded) :])
    seeded[:] = clients
    timings = portfolio_timings(owner, requests)
    for label, key in (("page", "page"), ("API", "api")):
        ms, size = timings[label]
        line(
            f"portfolio {label} x{requests} p95",
            f"{_p(ms, 95):.0f} ms (p50 {_p(ms, 50):.0f}, {size / 1024:.0f} KB)",
            key,
        )
    sys.stdout.flush()


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    options = parser.parse_args()
    n = options.clients
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    base = urlsplit(os.environ.get("DATABASE_URL", "")).path.strip("/") or "pouls"
    print(f"bench/tenants.py: {n} clients on {machine()}", flush=True)
    started_run = time.perf_counter()
    url, drop = django_on_throwaway_database(f"{base}_tenants")
    try:
        from django.core.management import call_command

        from tenants.services import agency_get_or_create, client_create, membership_grant, user_create_or_update

        call_command("migrate", interactive=False, verbosity=0)
        print(f"scratch database {urlsplit(url).path.strip('/')} migrated", flush=True)
        agency, _ = agency_get_or_create(name="Benchmark agency (tenants)", default_language="en")
        owner, _ = user_create_or_update(email="bench-tenants@pouls.test", password="bench-tenants-1")
        membership_grant(user=owner, agency=agency, role="owner")
        checkpoints = sorted({min(100, n), n})
        clients, creations, seeded = [], [], []
        for i in range(n):
            started = time.perf_counter()
            clients.append(client_create(slug=f"bench-{i}", name=f"Bench {i:05}", agency=agency)[0])
            creations.append(time.perf_counter() - started)
            if (i + 1) % 50 == 0:
                print(
                    f"  {i + 1} clients created, last 50: median {statistics.median(creations[-50:]):.2f} s",
                    flush=True,
                )
            if i + 1 in checkpoints:
                row(i + 1, creations, owner, seeded, clients, options.requests)
    finally:
        from django.db import connections

        connections.close_all()
        drop()
        print(f"\nwhole run: {(time.perf_counter() - started_run) / 60:.1f} min (scratch database dropped)")


if __name__ == "__main__":
    main()
