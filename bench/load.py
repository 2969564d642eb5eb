"""Load test: the day of a Pouls server, from Locust's virtual users, with every answer checked.

    .venv/bin/python bench/load.py [--users 50] [--spawn-rate 10] [--seconds 60] [--workers 2] [--think 1 2]

Creates a throw-away database (on DATABASE_URL's server, else the embedded PostgreSQL), migrates it
and seeds the demo agency (``demo_seed``: three clients, 12 months of leads and marketing facts,
objectives, a KPI refresh, so dashboards and the KPI API have numbers), adds a capture form to each
client and personal tokens (created here, as the token API would, without its per-address
throttle). Then serves Pouls with gunicorn (sync workers recycled as in ``make demo``, production
settings, 127.0.0.1 only) and runs Locust headless (``bench/locustfile.py``) for ``--seconds``
(at most 600): viewers signed in with the login form reading their dashboard page and charts API,
KPI API reads with a token, sales moves of leads between stages with a token, and visitors sending
tracking batches and capture forms. Each virtual user has an address of its own (X-Forwarded-For
behind one trusted proxy; visitors one per request), and the capture forms' ceiling for all
visitors together (POULS_CAPTURE_CEILING_PER_MINUTE) is raised so that it does not refuse the
test's own traffic.

Prints requests/s, p50/p95 per endpoint (Locust rounds response times above 100 ms to two
significant figures) and the error count, with the first errors and any server traceback, then the
server's CPU time per request (gunicorn and PostgreSQL: a figure that holds on a busy machine);
exits 1 if any request failed. Stops gunicorn and Locust and drops the database however it ends.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from capture import ServerCpu
from harness import (
    HOST,
    ROOT,
    django_on_throwaway_database,
    free_port,
    machine,
    server_env,
    start_gunicorn,
    stop,
)

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

BENCH = Path(__file__).resolve().parent
MAX_SECONDS = 600
FORM_KEY = "bench-contact"
CEILING = 100_000_000  # capture submissions per minute to one form from everyone: never reached here
SALES_SHARE = 0.2  # Sales.weight / the sum of the weights in locustfile.py
CAPTURE_REPEAT = 0.2  # share of capture submissions that repeat an email


def static_manifest_is_stale() -> bool:
    """Whether a static file changed since the last ``collectstatic`` (``make demo`` runs it too); it
    takes minutes (hashing and compressing every file), so it runs only then."""
    from django.conf import settings
    from django.contrib.staticfiles import finders

    manifest = Path(settings.STATIC_ROOT) / "staticfiles.json"
    if not manifest.exists():
        return True
    collected = manifest.stat().st_mtime
    for finder in finders.get_finders():
        for path, storage in finder.list(["CVS", ".*", "*~"]):
            if storage.get_modified_time(path).timestamp() > collected:
                return True
    return False


def seed(*, users: int, think: tuple[float, float]) -> dict:
    """The demo agency, a capture form per client, tokens; returns the plan the virtual users read."""
    from capture import SITE
    from django.core.management import call_command
    from django_tenants.utils import tenant_context
    from knox.models import AuthToken

    from demo.seed import DEMO_AGENCY, DEMO_LOGINS, DEMO_PASSWORD
    from leads.models import CaptureForm, Lead
    from tenants.models import Client, User

    call_command("demo_seed", stdout=io.StringIO())
    if static_manifest_is_stale():
        print("collecting static files (the pages need their manifest; minutes the first time)…", flush=True)
        call_command("collectstatic", interactive=False, verbosity=0)
    clients = {client.slug: client for client in Client.objects.exclude(schema_name="public")}
    for client in clients.values():
        with tenant_context(client):
            CaptureForm.objects.create(key=FORM_KEY, name="Benchmark contact", allowed_origins=SITE)

    def token(email: str) -> str:
        return AuthToken.objects.create(user=User.objects.get(email=email), expiry=timedelta(hours=2))[1]

    by_role = {login.role: login for login in DEMO_LOGINS}
    sales = by_role["sales"]
    with tenant_context(clients[sales.scope]):
        leads = dict(
            Lead.objects.filter(is_lost=False, stage__in=["lead", "mql", "sql"])
            .order_by("pk")
            .values_list("pk", "stage")
        )
    manager, staff = by_role["manager"], by_role["staff"]
    assert staff.scope == DEMO_AGENCY
    return {
        "wait": list(think),
        "slugs": sorted(clients),
        "viewers": [
            {"email": login.email, "password": DEMO_PASSWORD, "slug": login.scope}
            for login in DEMO_LOGINS
            if login.role == "viewer"
        ],
        "kpi_readers": [
            {"token": token(manager.email), "slugs": [manager.scope]},
            {"token": token(staff.email), "slugs": sorted(clients)},
        ],
        "sales": {"slug": sales.scope, "token": token(sales.email), "leads": {str(pk): s for pk, s in leads.items()}},
        "sales_users": max(1, round(users * SALES_SHARE)),
        "forms": [{"slug": slug, "key": FORM_KEY, "origin": SITE} for slug in sorted(clients)],
        "capture_repeat": CAPTURE_REPEAT,
    }


def _percentile(histogram: dict[str, int], fraction: float) -> int:
    """A percentile from Locust's histogram of response times (ms, rounded as Locust rounds them)."""
    total = sum(histogram.values())
    seen = 0
    for value, count in sorted((int(value), count) for value, count in histogram.items()):
        seen += count
        if seen >= fraction * total:
            return value
    return 0


def report(stats_file: Path, locust_log: Path, server_log: Path) -> tuple[int, int]:
    """Print the figures from Locust's final statistics (written when it quits, so complete); returns
    the numbers of failed and of all requests."""
    if not stats_file.exists():
        print("Locust wrote no statistics.")
        return 1, 0
    entries = json.loads(stats_file.read_text(encoding="utf-8"))
    if not entries:
        print("Locust made no request.")
        return 1, 0
    first = min(entry["start_time"] for entry in entries)
    last = max(entry["last_request_timestamp"] or first for entry in entries)
    duration = max(last - first, 1e-9)
    total = {
        "method": "",
        "name": "all",
        "num_requests": 0,
        "num_failures": 0,
        "max_response_time": 0,
        "response_times": {},
    }
    for entry in entries:
        total["num_requests"] += entry["num_requests"]
        total["num_failures"] += entry["num_failures"]
        total["max_response_time"] = max(total["max_response_time"], entry["max_response_time"])
        for value, count in entry["response_times"].items():
            total["response_times"][value] = total["response_times"].get(value, 0) + count
    width = max(len(f"{entry['method']} {entry['name']}") for entry in entries)
    print(f"\n{'endpoint':{width}}  requests  errors    req/s   p50 ms   p95 ms   max ms")
    for entry in [*sorted(entries, key=lambda e: e["name"]), total]:
        times, label = entry["response_times"], f"{entry['method']} {entry['name']}".strip()
        print(
            f"{label:{width}}  {entry['num_requests']:8,}  "
            f"{entry['num_failures']:6,}  {entry['num_requests'] / duration:7.1f}  {_percentile(times, 0.5):7,}  "
            f"{_percentile(times, 0.95):7,}  {entry['max_response_time']:7,.0f}"
        )
    failures = total["num_failures"]
    print(f"\nrequests/s: {total['num_requests'] / duration:.1f} over {duration:.0f} s; errors: {failures}")
    text = locust_log.read_text(errors="replace") if locust_log.exists() else ""
    if failures and "Error report" in text:
        print(text[text.index("Error report") :][:3000])
    server = server_log.read_text(errors="replace") if server_log.exists() else ""
    if "Traceback" in server:
        print(f"server tracebacks (gunicorn log {server_log}):\n{server[server.index('Traceback') :][:3000]}")
    return failures, total["num_requests"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50, help="virtual users")
    parser.add_argument("--spawn-rate", type=float, default=10, help="virtual users started per second")
    parser.add_argument("--seconds", type=int, default=60, help=f"length of the run (at most {MAX_SECONDS})")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--think",
        type=float,
        nargs=2,
        default=(1.0, 2.0),
        metavar=("MIN", "MAX"),
        help="seconds each virtual user waits between two requests",
    )
    options = parser.parse_args()
    seconds = min(options.seconds, MAX_SECONDS)
    print(f"machine: {machine()}", flush=True)
    url, drop = django_on_throwaway_database("pouls_bench_load")
    from django.core.management import call_command
    from django.db import connection, connections

    gunicorn = locust = server_cpu = None
    work = Path(tempfile.mkdtemp(prefix="pouls-bench-load-"))
    log = work / "gunicorn.log"
    try:
        started = time.monotonic()
        call_command("migrate", interactive=False, verbosity=0)
        plan = seed(users=options.users, think=tuple(options.think))
        (work / "plan.json").write_text(json.dumps(plan), encoding="utf-8")
        server_version = connection.cursor().connection.info.server_version
        print(
            f"seeded the demo agency ({len(plan['slugs'])} clients) in {time.monotonic() - started:.0f} s", flush=True
        )

        port = free_port()
        env = server_env(
            url,
            POULS_CAPTURE_CEILING_PER_MINUTE=str(CEILING),
            DJANGO_SECURE_COOKIES="false",  # plain HTTP on loopback; X-Forwarded-Proto says HTTPS to Django
        )
        gunicorn = start_gunicorn(port, env, log, workers=options.workers)
        print(
            f"PostgreSQL {server_version // 10000}.{server_version % 10000}; gunicorn {options.workers} sync workers "
            f"(recycled after 1,000±100 requests) on {HOST}:{port}; Locust {options.users} users "
            f"(+{options.spawn_rate:g}/s), think time {options.think[0]:g}-{options.think[1]:g} s, {seconds} s; "
            f"capture ceiling raised to {CEILING:,}/min so that it does not refuse the test's traffic",
            flush=True,
        )
        prefix = str(work / "locust")
        command = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(BENCH / "locustfile.py"),
            "--headless",
            "--users",
            str(options.users),
            "--spawn-rate",
            str(options.spawn_rate),
            "--run-time",
            f"{seconds}s",
            "--host",
            f"http://{HOST}:{port}",
            "--json-file",
            prefix,
            "--only-summary",
            "--stop-timeout",
            "10",
            "--loglevel",
            "WARNING",
        ]
        locust_log = work / "locust.log"
        server_cpu = ServerCpu(gunicorn.pid, url)
        server_cpu.start()
        locust = subprocess.Popen(
            command,
            cwd=BENCH,
            env={**os.environ, "POULS_LOAD_PLAN": str(work / "plan.json")},
            stdout=locust_log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            locust.wait(timeout=seconds + 120)
        except subprocess.TimeoutExpired:
            print("Locust did not finish in time; stopped.")
        failures, requests = report(Path(f"{prefix}.json"), locust_log, log)
        app_cpu, database_cpu = server_cpu.stop()
        if requests:
            print(
                f"server CPU per request of this mix: gunicorn {app_cpu / requests * 1000:.1f} ms + PostgreSQL "
                f"{database_cpu / requests * 1000:.1f} ms, so at most "
                f"{(os.cpu_count() or 1) * requests / max(app_cpu + database_cpu, 1e-9):,.0f} requests/s on "
                f"{os.cpu_count()} idle CPUs (Locust not counted)"
            )
        if locust.returncode != 0 and not failures:  # e.g. an exception in a virtual user's code
            print(f"Locust exited with {locust.returncode}:\n{locust_log.read_text(errors='replace')[-3000:]}")
            return 1
        return 1 if failures else 0
    finally:
        stop(locust)
        if server_cpu is not None:
            server_cpu.close()
        stop(gunicorn)
        connections.close_all()
        drop()
        print(f"(logs kept in {work})")


if __name__ == "__main__":
    sys.exit(main())
