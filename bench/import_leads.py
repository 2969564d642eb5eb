"""Benchmark: import a generated 100,000-row leads CSV into a fresh client (target: under 60 s).

    .venv/bin/python bench/import_leads.py [--rows 100000]

Uses DATABASE_URL or the embedded PostgreSQL; the throw-away client is dropped at the end.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import resource
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

CHANNELS = ["paid_search", "organic_search", "paid_social", "email", "direct", "referral", None]
STAGES = ["lead", "lead", "lead", "mql", "mql", "sql", "customer"]


def generate(rows: int) -> bytes:
    rng = random.Random(42)
    out = io.StringIO()
    out.write(
        "email,created_at,first_name,last_name,company,channel,campaign,offer,utm_source,utm_medium,stage,"
        "mql_at,sql_at,customer_at,deal_value\n"
    )
    for i in range(rows):
        month, day, hour, minute = rng.randint(1, 12), rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59)
        created = f"2025-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00"
        stage = rng.choice(STAGES)
        channel = rng.choice(CHANNELS)
        utm = ("google", "cpc") if channel is None and i % 2 else ("", "")
        later = created.replace("2025-", "2026-", 1)
        mql = later if stage in ("mql", "sql", "customer") and i % 3 == 0 else ""
        sql = later if stage in ("sql", "customer") and i % 5 == 0 else ""
        out.write(
            f"person{i}@bench{i % 997}.example,{created},First{i},Last{i},Company {i % 5000},{channel or ''},"
            f"campaign-{i % 50},offer-{i % 20},{utm[0]},{utm[1]},{stage},{mql},{sql},,"
            f"{rng.randint(100, 9000) if stage == 'customer' else ''}\n"
        )
    return out.getvalue().encode()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    rows = parser.parse_args().rows
    from config.database import create_database_if_missing

    if os.environ.get("DATABASE_URL"):
        create_database_if_missing(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django_tenants.utils import tenant_context

    from campaigns.imports.runner import import_run
    from tenants.services import client_create

    call_command("migrate", interactive=False, verbosity=0)
    data = generate(rows)
    client, _ = client_create(slug=f"bench-import-{int(time.time())}", name="Import benchmark")
    try:
        with tenant_context(client):
            started = time.perf_counter()
            first = import_run(kind="leads", data=data)
            first_time = time.perf_counter() - started
            started = time.perf_counter()
            again = import_run(kind="leads", data=data)
            again_time = time.perf_counter() - started
    finally:
        client.delete(force_drop=True)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"leads import, {rows:,} rows ({len(data) / 1e6:.1f} MB):")
    print(f"  first import   {first_time:6.1f} s  ({rows / first_time:,.0f} rows/s)  {first.summary()}")
    print(f"  same file again {again_time:5.1f} s  {again.summary()}")
    print(f"  peak memory    {peak:,.0f} MiB")


if __name__ == "__main__":
    main()
