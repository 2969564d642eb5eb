"""Benchmark: `manage.py migrate` with nothing to apply, as the clients grow (issue 18).

    DATABASE_URL=postgres://…/scratch .venv/bin/python bench/migrate_noop.py [--clients 100] [--runs 3]
        [--project DIR ...]

Migrates the database DATABASE_URL names (a scratch one: it is required, never the embedded or a
shared one), creates ``--clients`` empty throw-away clients, then times ``manage.py migrate`` in a
subprocess ``--runs`` times (start-up included, as a deploy pays it) and prints the median, then
the client schemas' part alone (``migrate --tenant`` in this process, start-up excluded); the
clients and their schemas are dropped at the end. ``--project`` (repeatable) also times the
``manage.py`` of another checkout on the same clients (e.g. ``git archive <commit> | tar -x -C DIR``),
to compare with a version that visited every schema: 5.7 s at 10 clients, 32.3 s at 100 and
112.5 s at 300 in the issue's table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def timed_migrate(project: Path) -> tuple[float, str]:
    """Seconds one `manage.py migrate` takes, and the summary line it printed."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, str(project / "manage.py"), "migrate", "--noinput"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
    )
    seconds = time.perf_counter() - started
    summary = next((line for line in done.stdout.splitlines() if "up to date" in line), "(no summary)")
    return seconds, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project", type=Path, action="append", default=[], help="Another checkout to time too.")
    options = parser.parse_args()
    if not os.environ.get("DATABASE_URL"):
        sys.exit("DATABASE_URL must name a scratch database: clients are created in it.")

    from config.database import create_database_if_missing

    create_database_if_missing(os.environ["DATABASE_URL"])

    import django

    django.setup()
    from django.core.management import call_command

    from tenants.services import agency_get_or_create, client_create

    call_command("migrate", interactive=False, verbosity=0)
    agency, _ = agency_get_or_create(name="Benchmark agency (migrate)")
    stamp = int(time.time())
    clients = []
    try:
        started = time.perf_counter()
        for i in range(options.clients):
            clients.append(client_create(slug=f"bench-mig-{stamp}-{i}", name=f"Bench {i}", agency=agency)[0])
        print(f"{options.clients} clients created in {time.perf_counter() - started:.0f} s")
        for project in [ROOT, *options.project]:
            timings = []
            for _ in range(options.runs):
                seconds, summary = timed_migrate(project.resolve())
                timings.append(seconds)
            print(
                f"{project}: manage.py migrate with nothing to apply, {options.clients} clients, {options.runs} runs: "
                f"median {statistics.median(timings):.1f} s (min {min(timings):.1f}, max {max(timings):.1f}): {summary}"
            )
        timings = []
        for _ in range(options.runs):
            started = time.perf_counter()
            call_command("migrate", tenant=True, interactive=False, verbosity=0)
            timings.append(time.perf_counter() - started)
        print(f"client schemas' part alone (in process): median {statistics.median(timings):.2f} s")
    finally:
        for client in clients:
            client.delete(force_drop=True)
        agency.delete()


if __name__ == "__main__":
    main()
