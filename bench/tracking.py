"""Benchmark: how many tracking events/s the endpoint takes, and how long the rollup of them all takes.

    .venv/bin/python bench/tracking.py [--seconds 15] [--batch 20] [--senders 4] [--conn-max-age 60]

Creates a throw-away database (on DATABASE_URL's server, else the embedded PostgreSQL), migrates it,
creates one client, serves Pouls with gunicorn (2 sync workers, ``config.wsgi``, production settings,
on 127.0.0.1 only), and fires batches of events at ``/c/<slug>/track/`` from a separate process for
at most ``--seconds`` (at most 20). Each batch claims another visitor address (X-Forwarded-For, one
trusted proxy), as a real audience behind a load balancer would; every batch is still rate-counted.
Prints events/s accepted, request latency (p50/p95), then the time the rollup takes for all of them,
and drops the database again.
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import random
import statistics
import sys
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from harness import (
    HOST,
    ROOT,
    django_on_throwaway_database,
    free_port,
    percentile,
    server_env,
    start_gunicorn,
    stop,
)

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

MAX_SECONDS = 20
MAX_REQUESTS_PER_SENDER = 200_000  # a bound on top of the clock
SITE = "https://www.bench.example"
PAGES = ["/", "/offre", "/tarifs", "/blog/article-1", "/blog/article-2", "/contact", "/demo", "/webinar"]
TOUCHES = [
    ({"source": "google", "medium": "cpc", "campaign": "spring"}, ""),
    ({"source": "newsletter", "medium": "email"}, ""),
    ({"source": "linkedin", "medium": "paid_social"}, ""),
    ({}, "https://www.google.fr/"),
    ({}, "https://l.facebook.com/"),
    ({}, "https://blog.partner.example/post"),
    ({}, ""),
]
CTAS = ["book-demo", "newsletter", "download-guide", "pricing-cta"]


# --- The sender (a separate process: no Django in it) ---------------------------------------------


def event_batch(size: int) -> bytes:
    """A realistic mix: 40% visits (each of a new session), 40% CTA views, 20% CTA clicks."""
    now = datetime.now(UTC).isoformat()
    events = []
    for _ in range(size):
        roll = random.random()
        event = {"id": str(uuid.uuid4()), "at": now, "session": uuid.uuid4().hex, "url": SITE + random.choice(PAGES)}
        if roll < 0.4:
            utm, referrer = random.choice(TOUCHES)
            event.update(type="visit", referrer=referrer, **({"utm": utm} if utm else {}))
        else:
            event.update(type="cta_view" if roll < 0.8 else "cta_click", cta=random.choice(CTAS))
        events.append(event)
    return json.dumps({"events": events}).encode()


def _send_loop(port: int, path: str, batch: int, deadline: float, results: list) -> None:
    for _ in range(MAX_REQUESTS_PER_SENDER):
        if time.monotonic() >= deadline:
            return
        body = event_batch(batch)
        visitor = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={"Content-Type": "text/plain;charset=UTF-8", "X-Forwarded-For": visitor, "Origin": SITE},
            )
            status = connection.getresponse().status
        except OSError:
            status = 0
        finally:
            connection.close()
        results.append((status, time.perf_counter() - started))


def sender(port: int, path: str, batch: int, seconds: float, threads: int, out) -> None:
    """Fire batches from ``threads`` threads until ``seconds`` pass; send back (status, latency) pairs."""
    deadline = time.monotonic() + seconds
    results: list = []
    workers = [threading.Thread(target=_send_loop, args=(port, path, batch, deadline, results)) for _ in range(threads)]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.send((time.monotonic() - started, results))
    out.close()


# --- The bench -----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--batch", type=int, default=20, help="events per request (the snippet sends up to 50)")
    parser.add_argument("--senders", type=int, default=4, help="concurrent requests from the sender process")
    parser.add_argument(
        "--conn-max-age", type=int, default=60, help="seconds the server keeps a database connection (0: one a request)"
    )
    options = parser.parse_args()
    seconds = min(options.seconds, MAX_SECONDS)

    url, drop = django_on_throwaway_database("pouls_bench_tracking")
    from django.core.management import call_command
    from django.db import connection, connections
    from django_tenants.utils import tenant_context

    from campaigns.models import TrackingEvent
    from campaigns.tracking_rollup import tracking_rollup
    from tenants.services import agency_get_or_create, client_create

    gunicorn = None
    try:
        call_command("migrate", interactive=False, verbosity=0)
        agency, _ = agency_get_or_create(name="Benchmark agency")
        client, _ = client_create(slug="bench-tracking", name="Bench tracking", agency=agency)
        server_version = connection.cursor().connection.info.server_version

        port = free_port()
        env = server_env(url, conn_max_age=options.conn_max_age)
        log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-tracking-gunicorn-{os.getpid()}.log"
        gunicorn = start_gunicorn(port, env, log)

        receive, send = multiprocessing.get_context("spawn").Pipe(duplex=False)
        process = multiprocessing.get_context("spawn").Process(
            target=sender,
            args=(port, f"/c/{client.slug}/track/", options.batch, seconds, options.senders, send),
        )
        process.start()
        send.close()
        elapsed, results = receive.recv()
        process.join(timeout=30)

        accepted = [latency for status, latency in results if status == 204]
        statuses: dict[int, int] = {}
        for status, _latency in results:
            statuses[status] = statuses.get(status, 0) + 1
        latencies_ms = [latency * 1000 for _status, latency in results]
        print(
            f"PostgreSQL {server_version // 10000}.{server_version % 10000}, {os.cpu_count()} CPUs, "
            f"gunicorn 2 sync workers, CONN_MAX_AGE={options.conn_max_age}, "
            f"{options.senders} concurrent senders, {options.batch} events per request"
        )
        print(f"requests: {len(results)} in {elapsed:.1f} s; statuses {dict(sorted(statuses.items()))}")
        print(
            f"accepted: {len(accepted) * options.batch / elapsed:,.0f} events/s "
            f"({len(accepted) / elapsed:,.0f} requests/s)"
        )
        if latencies_ms:
            print(
                f"latency: p50 {statistics.median(latencies_ms):.1f} ms, "
                f"p95 {percentile(latencies_ms, 0.95):.1f} ms, max {max(latencies_ms):.1f} ms"
            )

        with tenant_context(client):
            stored = TrackingEvent.objects.count()
            started = time.perf_counter()
            count = tracking_rollup()
            rollup_seconds = time.perf_counter() - started
        print(f"stored: {stored:,} events (accepted: {len(accepted) * options.batch:,})")
        print(
            f"rollup: {count.events:,} events ({count.visits:,} visits, {count.cta_events:,} CTA events) "
            f"in {rollup_seconds:.2f} s ({count.events / max(rollup_seconds, 1e-9):,.0f} events/s, "
            f"{count.chunks} chunk(s))"
        )
    finally:
        stop(gunicorn)
        connections.close_all()
        drop()


if __name__ == "__main__":
    main()
