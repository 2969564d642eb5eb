"""What a full KPI refresh costs when a client's facts are spread over the years (issue 11).

    .venv/bin/python bench/refresh_span.py [--keywords 300] [--days 90]

Two clients get the same recent facts (``--days`` days up to today: daily leads, traffic and
``--keywords`` keyword series); the second also has one keyword stat and one lead on 2000-01-01, the
earliest date a fact may carry. Both are refreshed in full (the first refresh, then the nightly one
with nothing changed), timed, with the peak of the memory Python and NumPy allocated during the
refresh (tracemalloc) and the number of snapshots written. The refresh should cost about the same
for both: its work follows the periods that hold data, not the span between the oldest and newest
fact. Uses DATABASE_URL or the embedded PostgreSQL; the clients are dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")


def generate(cursor, *, keywords: int, days: int, legacy: bool) -> None:
    """Facts in bulk, in SQL (the 2000 ones could not be written through the services' edges)."""
    params = {"days": days, "keywords": keywords}
    cursor.execute(
        """
        INSERT INTO leads_lead (email, first_name, last_name, company, job_title, phone, created_at, updated_at,
            channel_id, keyword, utm_source, utm_medium, utm_campaign, utm_term, utm_content, stage, is_lost,
            lost_reason, score)
        SELECT 'lead' || i || '@bench.test', '', '', '', '', '', now() - (i %% %(days)s) * interval '1 day', now(),
            (SELECT id FROM campaigns_channel WHERE key = 'organic_search'), '', '', '', '', '', '', 'lead', false,
            '', 0
        FROM generate_series(1, 20 * %(days)s) i;
        INSERT INTO campaigns_traffic (date, channel_id, source, visits, updated_at)
        SELECT d::date, (SELECT id FROM campaigns_channel WHERE key = 'organic_search'), 'import', 100, now()
        FROM generate_series(current_date - %(days)s, current_date, interval '1 day') d;
        INSERT INTO campaigns_keywordstat (date, keyword, channel_id, visits, impressions, updated_at)
        SELECT d::date, 'keyword ' || k, (SELECT id FROM campaigns_channel WHERE key = 'organic_search'),
               (random() * 200)::int, 5000, now()
        FROM generate_series(current_date - %(days)s, current_date, interval '1 day') d,
             generate_series(1, %(keywords)s) k;
        """,
        params,
    )
    if legacy:
        cursor.execute(
            """
            INSERT INTO campaigns_keywordstat (date, keyword, channel_id, visits, impressions, updated_at)
            VALUES ('2000-01-01', 'keyword 1', (SELECT id FROM campaigns_channel WHERE key = 'organic_search'),
                    7, 70, now());
            INSERT INTO leads_lead (email, first_name, last_name, company, job_title, phone, created_at, updated_at,
                keyword, utm_source, utm_medium, utm_campaign, utm_term, utm_content, stage, is_lost, lost_reason,
                score)
            VALUES ('legacy@bench.test', '', '', '', '', '', '2000-01-01 12:00+00', now(), '', '', '', '', '', '',
                    'lead', false, '', 0);
            """
        )
    cursor.execute("ANALYZE")


def timed_refresh(*, full: bool) -> tuple[float, float, object]:
    """(seconds, peak MiB allocated during the call, result)."""
    from kpis.refresh import kpi_snapshot_refresh

    tracemalloc.start()
    started = time.perf_counter()
    result = kpi_snapshot_refresh(full=full)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return seconds, peak, result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keywords", type=int, default=300)
    parser.add_argument("--days", type=int, default=90)
    args = parser.parse_args()
    from config.database import create_database_if_missing

    if os.environ.get("DATABASE_URL"):
        create_database_if_missing(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    from kpis.models import Snapshot
    from tenants.services import client_create

    call_command("migrate", interactive=False, verbosity=0)
    stamp = int(time.time())
    print(f"{args.keywords} keyword series and daily leads and traffic over the last {args.days} days")
    for name, legacy in (("recent facts only", False), ("plus one fact on 2000-01-01", True)):
        client, _created = client_create(slug=f"bench-span-{'legacy' if legacy else 'recent'}-{stamp}", name=name)
        try:
            with tenant_context(client):
                with connection.cursor() as cursor:
                    generate(cursor, keywords=args.keywords, days=args.days, legacy=legacy)
                first = timed_refresh(full=True)
                nightly = timed_refresh(full=True)
                print(
                    f"{name:28s} first full refresh {first[0]:6.2f} s, peak {first[1]:7.1f} MiB; "
                    f"nightly {nightly[0]:6.2f} s, peak {nightly[1]:7.1f} MiB; "
                    f"{Snapshot.objects.count():,} snapshots"
                )
        finally:
            client.delete(force_drop=True)


if __name__ == "__main__":
    main()
