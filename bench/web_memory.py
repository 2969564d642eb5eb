"""Benchmark: does a web worker's memory stay flat over 20,000 requests to client URLs?

    .venv/bin/python bench/web_memory.py [--requests 20000] [--clients 3] [--baseline]

Creates a throw-away database (on DATABASE_URL's server, else the embedded PostgreSQL), migrates it,
creates ``--clients`` clients and their agency's owner, and serves Pouls with gunicorn: ONE sync
worker, never recycled (no --max-requests, so one process serves every request), production
settings, 127.0.0.1 only. The owner's session then cycles through the clients, each in turn: the
pipeline page (it reverses its links), the channels API and the dashboard page, from two sender
threads so the worker is never idle. After a warm-up (1,000 requests: templates, translations and
each client's routing loaded), prints the worker's resident memory (VmRSS) every 5,000 requests,
the growth per request, the statuses and the median latency per page.

``--baseline`` serves with django-tenants' own per-request URLconf (a gunicorn hook puts its
``process_request`` back), the behaviour before the fix, for comparison.
Stops gunicorn and drops the database however it ends.
"""

from __future__ import annotations

import argparse
import http.client
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from harness import (
    HOST,
    ROOT,
    exit_on_sigterm,
    free_port,
    machine,
    server_env,
    start_gunicorn,
    stop,
    throwaway_database,
)

sys.path.insert(0, str(ROOT))

WARM_UP = 1000
CHECKPOINT = 5000
SENDERS = 2
PAGES = {  # what one client's turn asks for, by name
    "pipeline page": "/c/{slug}/leads/",
    "channels API": "/c/{slug}/api/v1/channels/",
    "dashboard page": "/c/{slug}/",
}
# gunicorn config for --baseline: each worker gets back django-tenants' per-request URLconf and
# clear_url_caches(), i.e. the routing as it was before tenants.urlconfs.
BASELINE_HOOK = """
def post_worker_init(worker):
    from django_tenants.middleware.subfolder import TenantSubfolderMiddleware

    from tenants.middleware import ClientSubfolderMiddleware

    ClientSubfolderMiddleware.process_request = TenantSubfolderMiddleware.process_request
"""


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    assert len(children) == 1, f"expected one gunicorn worker, found {children}"
    return int(children[0])


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def send(port: int, cookie: str, plan: list[tuple[str, str]], results: list) -> None:
    """Ask for every (name, path) of ``plan`` in turn; record (name, status, seconds)."""
    for name, path in plan:
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, port, timeout=60)
        try:
            connection.request("GET", path, headers={"Cookie": cookie, "X-Forwarded-For": "10.0.0.1"})
            response = connection.getresponse()
            response.read()
            status = response.status
        except OSError:
            status = 0
        finally:
            connection.close()
        results.append((name, status, time.perf_counter() - started))


def serve(port: int, cookie: str, requests: list[tuple[str, str]]) -> list:
    """Send ``requests`` from SENDERS threads (interleaved), and wait for every answer."""
    results: list = []
    threads = [
        threading.Thread(target=send, args=(port, cookie, requests[i::SENDERS], results)) for i in range(SENDERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--clients", type=int, default=3)
    parser.add_argument("--baseline", action="store_true", help="django-tenants' per-request URLconf (before the fix)")
    options = parser.parse_args()
    exit_on_sigterm()
    load_before = machine()

    url, drop = throwaway_database("pouls_bench_web_memory")
    env = server_env(url)
    # The benchmark signs the owner in itself: same settings and secret key as the server.
    os.environ.update(
        {key: env[key] for key in ("DJANGO_SETTINGS_MODULE", "DJANGO_SECRET_KEY", "DATABASE_URL", "LOG_LEVEL")}
    )
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connections
    from django.test import Client as HttpClient

    from tenants.services import agency_get_or_create, client_create, membership_grant, user_create_or_update

    gunicorn = None
    hook_dir = tempfile.TemporaryDirectory(prefix="pouls-bench-web-memory-")
    try:
        call_command("migrate", interactive=False, verbosity=0)
        agency, _ = agency_get_or_create(name="Benchmark agency")
        slugs = [f"bench-memory-{i + 1}" for i in range(options.clients)]
        for slug in slugs:
            client_create(slug=slug, name=slug.replace("-", " ").title(), agency=agency)
        owner, _ = user_create_or_update(email="owner@bench.test", password=None)
        membership_grant(user=owner, agency=agency, role="owner")
        browser = HttpClient()
        browser.force_login(owner)
        cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
        connections.close_all()

        config = None
        if options.baseline:
            config = Path(hook_dir.name) / "gunicorn_baseline.py"
            config.write_text(BASELINE_HOOK)
        port = free_port()
        log = Path(hook_dir.name) / "gunicorn.log"
        gunicorn = start_gunicorn(port, env, log, workers=1, recycle=False, config=config)
        worker = worker_pid(gunicorn.pid)

        turn = [(name, path.format(slug=slug)) for slug in slugs for name, path in PAGES.items()]

        def plan(count: int) -> list[tuple[str, str]]:
            return [turn[i % len(turn)] for i in range(count)]

        warm = serve(port, cookie, plan(WARM_UP))
        routing = "BASELINE: django-tenants' URLconf per request" if options.baseline else "URLconf per client, reused"
        print(f"{load_before}; gunicorn 1 sync worker (pid {worker}, never recycled), production settings")
        print(f"{options.clients} clients, {SENDERS} sender threads; {routing}")
        before = rss_mib(worker)
        print(f"after {WARM_UP:,} warm-up requests: RSS {before:.1f} MiB")
        results: list = []
        started = time.monotonic()
        done = 0
        while done < options.requests:
            batch = min(CHECKPOINT, options.requests - done)
            results += serve(port, cookie, plan(batch))
            done += batch
            print(f"after {done:>6,} more requests: RSS {rss_mib(worker):.1f} MiB")
        elapsed = time.monotonic() - started
        after = rss_mib(worker)
        assert worker_pid(gunicorn.pid) == worker, "the worker was replaced during the run"

        statuses: dict[int, int] = {}
        for _name, status, _seconds in warm + results:
            statuses[status] = statuses.get(status, 0) + 1
        print(f"statuses (warm-up included): {dict(sorted(statuses.items()))}")
        growth_kib = (after - before) * 1024 / options.requests
        print(
            f"RSS {before:.1f} MiB -> {after:.1f} MiB over {options.requests:,} requests "
            f"({growth_kib:+.2f} KiB per request) in {elapsed:.0f} s ({options.requests / elapsed:.0f} requests/s)"
        )
        for name in PAGES:
            latencies = [seconds * 1000 for page, _status, seconds in results if page == name]
            print(f"  {name:15} median {statistics.median(latencies):.1f} ms")
        if set(statuses) != {200}:
            print(f"not every answer was 200; the server's log ends with:\n{log.read_text()[-3000:]}")
            sys.exit(1)
    finally:
        stop(gunicorn)
        connections.close_all()
        drop()
        hook_dir.cleanup()


if __name__ == "__main__":
    main()
