"""Benchmark: the agency portfolio, page and API, with N clients (issue 18), p50/p95 of 30 requests each.

    .venv/bin/python bench/portfolio_page.py [--clients 1000] [--requests 30]

Uses DATABASE_URL or the embedded PostgreSQL, migrates first. The portfolio reads public tables only,
so the N clients are public rows without a schema (a pulse each and 13 months of the default headline
KPIs), created in bulk for one throw-away agency and its owner, and deleted again at the end. Requests
go through Django's test client (the whole middleware stack, no network).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def _months(count: int) -> list[date]:
    today = date.today().replace(day=1)
    months = []
    for back in range(count):
        year, month = divmod(today.year * 12 + today.month - 1 - back, 12)
        months.append(date(year, month + 1, 1))
    return months[::-1]


def _timed(client, path: str, requests: int) -> tuple[list[float], int]:
    client.get(path)  # warm: templates, translations, the session
    timings, size = [], 0
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
        size = len(response.content)
    return timings, size


def _p(timings: list[float], q: int) -> float:
    return statistics.quantiles(timings, n=100, method="inclusive")[q - 1]


def seed_headlines(clients) -> None:
    """A pulse and 13 months of the default headline KPIs for each of ``clients`` (public rows)."""
    from django.db import connection
    from django.utils import timezone

    from portfolio.models import HEADLINE_KPIS, HEADLINE_MONTHS, Headline, Pulse

    now = timezone.now()
    Pulse.objects.bulk_create(
        Pulse(client=c, as_of=now, red=i % 3, anomalies=i % 2, pacing=(i % 13) / 10) for i, c in enumerate(clients)
    )
    months = _months(HEADLINE_MONTHS)
    Headline.objects.bulk_create(
        (
            Headline(client=c, kpi=kpi, start=m, value=i + k, status="green", is_partial=m == months[-1])
            for i, c in enumerate(clients)
            for kpi in HEADLINE_KPIS
            for k, m in enumerate(months)
        ),
        batch_size=5000,
    )
    # The planner's statistics, as a database holding these rows for a while has them (autovacuum
    # analyses a table within a minute or so): without them it expects one row per table and picks
    # nested loops that cost the page's clients query twice its time.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tenants_client, tenants_agency, portfolio_pulse, portfolio_headline")


def portfolio_timings(owner, requests: int) -> dict[str, tuple[list[float], int]]:
    """Milliseconds of ``requests`` loads of the portfolio page and of its API as ``owner`` (in English),
    and the size of the last answer, by label ("page", "API")."""
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(owner)
    http.cookies["django_language"] = "en"
    return {label: _timed(http, path, requests) for label, path in (("page", "/"), ("API", "/api/v1/portfolio/"))}


def portfolio_queries(owner) -> dict[str, int]:
    """The queries of one load of the portfolio page and of its API as ``owner`` (``SET search_path``
    aside), by label: they must not grow with the clients (the tests assert it; this shows it at N)."""
    from django.db import connection
    from django.test import Client as HttpClient
    from django.test.utils import CaptureQueriesContext

    http = HttpClient()
    http.force_login(owner)
    counts = {}
    for label, path in (("page", "/"), ("API", "/api/v1/portfolio/")):
        http.get(path)  # the session's first save aside
        with CaptureQueriesContext(connection) as captured:
            http.get(path)
        counts[label] = len([q for q in captured.captured_queries if not q["sql"].startswith("SET search_path")])
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=30)
    options = parser.parse_args()

    from config.database import create_database_if_missing

    if os.environ.get("DATABASE_URL"):
        create_database_if_missing(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command

    from portfolio.models import Headline, Pulse
    from tenants.models import Client
    from tenants.services import agency_get_or_create, membership_grant, user_create_or_update

    call_command("migrate", interactive=False, verbosity=0)
    stamp = int(time.time())
    agency, _ = agency_get_or_create(name=f"Benchmark portfolio {stamp}", default_language="en")
    owner, _ = user_create_or_update(email=f"bench-portfolio-{stamp}@pouls.test", password="bench-portfolio-1")
    membership_grant(user=owner, agency=agency, role="owner")
    n = options.clients
    try:
        started = time.perf_counter()
        clients = Client.objects.bulk_create(
            Client(schema_name=f"bench_p{stamp}_{i}", slug=f"bench-p{stamp}-{i}", name=f"Bench {i:05}", agency=agency)
            for i in range(n)
        )
        seed_headlines(clients)
        print(f"{n} clients with headlines created in {time.perf_counter() - started:.1f} s (public rows only)")
        queries = portfolio_queries(owner)
        for label, (timings, size) in portfolio_timings(owner, options.requests).items():
            print(
                f"portfolio {label} x{options.requests} at {n} clients: p50 {_p(timings, 50):.0f} ms, "
                f"p95 {_p(timings, 95):.0f} ms, {size / 1024:.0f} KB (first page of 50), {queries[label]} queries"
            )
        print("issue 18 before: page 783 ms and 593 KB at 300 clients; target: p95 <= 100 ms at 1,000")
    finally:
        Headline.objects.filter(client__agency=agency).delete()
        Pulse.objects.filter(client__agency=agency).delete()
        Client.objects.filter(agency=agency).delete()  # rows only: they have no schema
        owner.delete()
        agency.delete()


if __name__ == "__main__":
    main()
