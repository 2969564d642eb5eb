"""Benchmark: sustained requests/s and latency of the form-capture endpoint, and no duplicate lead.

    .venv/bin/python bench/capture.py [--seconds 30] [--senders 4] [--workers 2] [--repeat 0.2]

Creates a throw-away database (on DATABASE_URL's server, else the embedded PostgreSQL), migrates it,
creates one client with a capture form, serves Pouls with gunicorn (sync workers, production
settings, on 127.0.0.1 only) and posts submissions to ``/c/<slug>/capture/<form>/`` as
``pouls-forms.js`` does (JSON, from an allowed Origin) from a separate process for ``--seconds``
(at most 120). ``--repeat`` of the submissions reuse one of the last 10 emails sent (other case,
spaces around it), as a double submission does, some while the first is still in flight: the
endpoint must merge them into one lead. Each submission comes from another visitor address
(X-Forwarded-For, one trusted proxy), as an audience does; the form's ceiling for all visitors
together (POULS_CAPTURE_CEILING_PER_MINUTE) is raised so that it does not cap the measurement.
Then counts the client's leads: one per distinct email accepted, and no two with the same email.
Prints the figures against the targets (≥ 300 requests/s, p95 < 100 ms, 0 duplicate leads) and the
server's CPU time per request, exits 1 when a target is missed or any request failed, and drops
the database.
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
from pathlib import Path

from harness import (
    HOST,
    ROOT,
    django_on_throwaway_database,
    free_port,
    machine,
    percentile,
    server_env,
    start_gunicorn,
    stop,
)

sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

MAX_SECONDS = 120
MAX_REQUESTS_PER_SENDER = 500_000  # a bound on top of the clock
SITE = "https://www.bench.example"
FORM_KEY = "contact"
CEILING = 100_000_000  # submissions per minute to the form from everyone: never reached here
TARGET_RATE = 300  # requests/s
TARGET_P95_MS = 100
RECENT = 10  # a repeat reuses one of the last RECENT emails sent: a double submission, often still in flight
FIRST_NAMES = ["Camille", "Léa", "Hugo", "Louis", "Chloé", "Nathan", "Manon", "Jules", "Inès", "Paul"]
ASCII_NAMES = ["camille", "lea", "hugo", "louis", "chloe", "nathan", "manon", "jules", "ines", "paul"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy", "Moreau"]
COMPANIES = ["Atelier Nord", "Brasserie du Port", "Cabinet Roux", "Domaine Vert", "Éditions Sud", ""]
UTMS = [
    {"utm_source": "google", "utm_medium": "cpc", "utm_campaign": "printemps"},
    {"utm_source": "newsletter", "utm_medium": "email", "utm_campaign": "mars"},
    {"utm_source": "linkedin", "utm_medium": "paid_social"},
    {},
]
PAGES = [f"{SITE}/guide/", f"{SITE}/demo/", f"{SITE}/contact/"]


# --- The sender (a separate process: no Django in it) ---------------------------------------------


def submission(recent: list[str], lock: threading.Lock, repeat: float) -> tuple[str, bytes]:
    """A form as the snippet posts it; returns the email as the server will store it (trimmed, lower
    case) and the body. A repeat sends an earlier email as a person would type it again."""
    with lock:
        earlier = random.choice(recent) if recent and random.random() < repeat else None
    if earlier:
        email = earlier
        typed = random.choice([email, email.upper(), f"  {email} ", email.capitalize()])
    else:
        email = f"{random.choice(ASCII_NAMES)}.{uuid.uuid4().hex[:12]}@exemple.fr"
        typed = email
        with lock:
            recent.append(email)
            del recent[:-RECENT]
    fields = {
        "email": typed,
        "first_name": random.choice(FIRST_NAMES),
        "last_name": random.choice(LAST_NAMES),
        "company": random.choice(COMPANIES),
        "page_url": random.choice(PAGES),
        "landing_url": random.choice(PAGES),
        "referrer": random.choice(["https://www.google.fr/", ""]),
        "website": "",  # the honeypot, left empty by people
        **random.choice(UTMS),
    }
    return email.strip().lower(), json.dumps(fields).encode()


def _send_loop(port: int, path: str, repeat: float, deadline: float, shared: tuple, results: list) -> None:
    recent, lock, in_flight = shared
    for _ in range(MAX_REQUESTS_PER_SENDER):
        if time.monotonic() >= deadline:
            return
        email, body = submission(recent, lock, repeat)
        with lock:  # is another submission of this email being answered right now?
            overlapping = in_flight.get(email, 0) > 0
            in_flight[email] = in_flight.get(email, 0) + 1
        visitor = f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"
        started = time.perf_counter()
        connection = http.client.HTTPConnection(HOST, port, timeout=30)
        try:
            connection.request(
                "POST",
                path,
                body=body,
                headers={
                    "Content-Type": "application/json",
                    "Accept": "application/json",
                    "Origin": SITE,
                    "X-Forwarded-For": visitor,
                },
            )
            response = connection.getresponse()
            status, detail = response.status, response.read()[:300]
        except OSError as error:
            status, detail = 0, repr(error).encode()
        finally:
            connection.close()
            with lock:
                in_flight[email] -= 1
        results.append((status, time.perf_counter() - started, email, detail if status != 201 else b"", overlapping))


def sender(port: int, path: str, repeat: float, seconds: float, threads: int, out) -> None:
    """Post from ``threads`` threads until ``seconds`` pass; send back (status, latency, email, body of
    a refusal, whether a submission of the same email was in flight) for each request."""
    deadline = time.monotonic() + seconds
    results: list = []
    shared = ([], threading.Lock(), {})
    workers = [
        threading.Thread(target=_send_loop, args=(port, path, repeat, deadline, shared, results))
        for _ in range(threads)
    ]
    started = time.monotonic()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    out.send((time.monotonic() - started, results))
    out.close()


# --- Server CPU (Linux /proc; figures that hold on a machine shared with other work) ---------------


def _cpu(pid: int, children: bool = False) -> float:
    """CPU seconds of a process (with ``children``: also of the children it has reaped), 0 if gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    ticks = int(fields[11]) + int(fields[12]) + ((int(fields[13]) + int(fields[14])) if children else 0)
    return ticks / os.sysconf("SC_CLK_TCK")


class ServerCpu:
    """CPU time spent by gunicorn (master, live and recycled workers) and by the PostgreSQL backends of
    the benchmark's database (sampled every 0.2 s, so a backend closed between two samples loses at
    most that much) between ``start`` and ``stop``. Backends on another machine are not seen."""

    def __init__(self, gunicorn_pid: int, database_url: str):
        self.gunicorn_pid, self.database_url = gunicorn_pid, database_url.replace("postgres://", "postgresql://", 1)
        self.backends: dict[int, list[float]] = {}  # pid: [CPU when first seen, CPU when last seen]
        self.running = threading.Event()

    def _gunicorn(self) -> float:
        workers = []
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == self.gunicorn_pid:
                        workers.append(int(entry.name))
                except (OSError, IndexError, ValueError):
                    continue
        return _cpu(self.gunicorn_pid, children=True) + sum(_cpu(pid) for pid in workers)

    def _sample(self, conn, first: bool = False) -> None:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchall()
        for (pid,) in rows:
            cpu = _cpu(pid)
            # A backend born during the run counts from 0 (its connection set-up is part of the load).
            seen = self.backends.setdefault(pid, [cpu if first else 0.0, cpu])
            seen[1] = max(cpu, seen[1])

    def _sampler(self, conn) -> None:
        import psycopg

        while self.running.is_set():
            try:
                self._sample(conn)
            except psycopg.Error:
                return  # the database is going away: the benchmark is ending
            time.sleep(0.2)

    def start(self) -> None:
        import psycopg

        self.conn = psycopg.connect(self.database_url, autocommit=True)
        self._sample(self.conn, first=True)
        self.gunicorn_start = self._gunicorn()
        self.running.set()
        self.thread = threading.Thread(target=self._sampler, args=(self.conn,), daemon=True)
        self.thread.start()

    def stop(self) -> tuple[float, float]:
        """(gunicorn CPU seconds, PostgreSQL CPU seconds) since ``start``."""
        gunicorn = self._gunicorn() - self.gunicorn_start
        self.running.clear()
        self.thread.join()
        self._sample(self.conn)
        self.close()
        return gunicorn, sum(last - first for first, last in self.backends.values())

    def close(self) -> None:
        """Stop sampling (before the database is dropped, however the benchmark ends)."""
        self.running.clear()
        if getattr(self, "thread", None) is not None:
            self.thread.join()
        if getattr(self, "conn", None) is not None:
            self.conn.close()


# --- The bench -----------------------------------------------------------------------------------


def _setup_client():
    from django_tenants.utils import tenant_context

    from campaigns.models import LandingPage, Offer
    from leads.models import CaptureForm
    from tenants.services import agency_get_or_create, client_create

    agency, _ = agency_get_or_create(name="Benchmark agency")
    client, _ = client_create(slug="bench-capture", name="Bench capture", agency=agency)
    with tenant_context(client):
        offer = Offer.objects.create(key="guide", name="Guide", kind="ebook")
        page = LandingPage.objects.create(key="lp-guide", name="Guide", url=f"{SITE}/guide/", offer=offer)
        CaptureForm.objects.create(key=FORM_KEY, name="Contact", allowed_origins=SITE, offer=offer, landing_page=page)
    return client


def _lead_counts(client) -> tuple[int, int]:
    """Leads of the client, and emails held by more than one lead."""
    from django.db import connection
    from django_tenants.utils import tenant_context

    with tenant_context(client), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM leads_lead")
        leads = cursor.fetchone()[0]
        cursor.execute(
            "SELECT count(*) FROM (SELECT lower(trim(email)) FROM leads_lead GROUP BY 1 HAVING count(*) > 1) d"
        )
        return leads, cursor.fetchone()[0]


def _verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help=f"how long to post (at most {MAX_SECONDS})")
    parser.add_argument("--senders", type=int, default=4, help="concurrent requests from the sender process")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--repeat", type=float, default=0.2, help="share of submissions that repeat an email")
    parser.add_argument("--conn-max-age", type=int, default=60, help="seconds the server keeps a database connection")
    options = parser.parse_args()
    seconds = min(options.seconds, MAX_SECONDS)
    print(f"machine: {machine()}", flush=True)
    url, drop = django_on_throwaway_database("pouls_bench_capture")
    from django.core.management import call_command
    from django.db import connection, connections

    gunicorn = sender_process = server_cpu = None
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"bench-capture-gunicorn-{os.getpid()}.log"
    try:
        call_command("migrate", interactive=False, verbosity=0)
        client = _setup_client()
        server_version = connection.cursor().connection.info.server_version
        port = free_port()
        env = server_env(url, conn_max_age=options.conn_max_age, POULS_CAPTURE_CEILING_PER_MINUTE=str(CEILING))
        gunicorn = start_gunicorn(port, env, log, workers=options.workers)

        context = multiprocessing.get_context("spawn")
        receive, send = context.Pipe(duplex=False)
        sender_process = context.Process(
            target=sender,
            args=(port, f"/c/{client.slug}/capture/{FORM_KEY}/", options.repeat, seconds, options.senders, send),
        )
        server_cpu = ServerCpu(gunicorn.pid, url)
        server_cpu.start()
        sender_process.start()
        send.close()
        if not receive.poll(seconds + 120):
            raise RuntimeError("the sender did not report in time")
        elapsed, results = receive.recv()
        app_cpu, database_cpu = server_cpu.stop()
        sender_process.join(timeout=30)

        statuses: dict[int, int] = {}
        for status, *_rest in results:
            statuses[status] = statuses.get(status, 0) + 1
        accepted = [result for result in results if result[0] == 201]
        failed = [result for result in results if result[0] != 201]
        latencies_ms = [latency * 1000 for _status, latency, *_rest in results]
        accepted_emails = {result[2] for result in accepted}
        attempted_emails = {result[2] for result in results}
        leads, duplicated_emails = _lead_counts(client)
        rate = len(accepted) / elapsed
        p95 = percentile(latencies_ms, 0.95) if latencies_ms else float("inf")

        print(
            f"PostgreSQL {server_version // 10000}.{server_version % 10000}, gunicorn {options.workers} sync workers "
            f"(recycled after 1,000±100 requests), CONN_MAX_AGE={options.conn_max_age}, {options.senders} "
            f"concurrent senders (one process, on the same machine)"
        )
        print(
            f"form ceiling for all visitors: {CEILING:,}/min (POULS_CAPTURE_CEILING_PER_MINUTE, raised so it "
            f"does not cap the measurement); one visitor address per submission (X-Forwarded-For)"
        )
        print(f"requests: {len(results):,} in {elapsed:.1f} s; statuses {dict(sorted(statuses.items()))}")
        print(
            f"repeats: {len(results) - len(attempted_emails):,} submissions repeated an email "
            f"({(len(results) - len(attempted_emails)) / max(len(results), 1):.0%}); "
            f"{sum(result[4] for result in results):,} of them while the same email was in flight; "
            f"{len(accepted_emails):,} distinct emails accepted"
        )
        if latencies_ms:
            print(
                f"latency: p50 {statistics.median(latencies_ms):.1f} ms, p95 {p95:.1f} ms, "
                f"max {max(latencies_ms):.1f} ms"
            )
        print(f"leads in the client: {leads:,}; emails held by more than one lead: {duplicated_emails}")
        per_request = (app_cpu + database_cpu) / max(len(results), 1)
        print(
            f"server CPU per request: gunicorn {app_cpu / max(len(results), 1) * 1000:.1f} ms + PostgreSQL "
            f"{database_cpu / max(len(results), 1) * 1000:.1f} ms, so at most "
            f"{(os.cpu_count() or 1) / max(per_request, 1e-9):,.0f} requests/s on {os.cpu_count()} idle CPUs "
            f"(the sender not counted)"
        )
        for status, _latency, email, detail, _overlapping in failed[:5]:
            print(f"  refused: {status} {email}: {detail.decode(errors='replace')}")
        if failed:
            print(f"  (gunicorn log: {log})")

        one_lead_per_email = duplicated_emails == 0 and (
            leads == len(accepted_emails) if not failed else len(accepted_emails) <= leads <= len(attempted_emails)
        )
        checks = {
            f"throughput ≥ {TARGET_RATE} requests/s: {rate:,.0f}": rate >= TARGET_RATE,
            f"p95 < {TARGET_P95_MS} ms: {p95:.1f} ms": p95 < TARGET_P95_MS,
            f"0 duplicate leads: {duplicated_emails} (leads {leads:,} = distinct emails {len(accepted_emails):,})": (
                one_lead_per_email
            ),
            f"0 failed requests: {len(failed)}": not failed,
        }
        for label, met in checks.items():
            print(f"target {label}  {_verdict(met)}")
        return 0 if all(checks.values()) else 1
    finally:
        if sender_process is not None and sender_process.is_alive():
            sender_process.terminate()
            sender_process.join(timeout=10)
        if server_cpu is not None:
            server_cpu.close()
        stop(gunicorn)
        connections.close_all()
        drop()


if __name__ == "__main__":
    sys.exit(main())
