"""Benchmark: how long `client_create` takes (template DDL replayed + route), median of N runs.

    .venv/bin/python bench/create_client.py [--runs 10]

Uses DATABASE_URL or the embedded PostgreSQL, migrates first, creates N throw-away clients,
prints the figures, then drops them again.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--by-migrations", action="store_true", help="Also time creation without the template.")
    options = parser.parse_args()

    from config.database import create_database_if_missing

    if os.environ.get("DATABASE_URL"):
        create_database_if_missing(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import override_settings

    from tenants.services import agency_get_or_create, client_create

    call_command("migrate", interactive=False, verbosity=0)
    server = connection.cursor().connection.info.server_version
    agency, _ = agency_get_or_create(name="Benchmark agency")
    modes = [("template DDL replay", True)] + ([("migrations", False)] if options.by_migrations else [])
    for label, clone in modes:
        stamp = int(time.time() * 1000)
        timings, clients = [], []
        with override_settings(TENANT_CREATION_FAKES_MIGRATIONS=clone):
            for i in range(options.runs):
                started = time.perf_counter()
                client, _ = client_create(slug=f"bench-{stamp}-{i}", name=f"Bench {i}", agency=agency)
                timings.append(time.perf_counter() - started)
                clients.append(client)
        for client in clients:
            client.delete(force_drop=True)
        ms = [t * 1000 for t in timings]
        print(
            f"client_create x{options.runs} by {label} (PostgreSQL {server // 10000}.{server % 10000}): "
            f"median {statistics.median(ms):.0f} ms, min {min(ms):.0f} ms, max {max(ms):.0f} ms"
        )
    agency.delete()


if __name__ == "__main__":
    main()
