"""Benchmark of the KPI refresh and the reads of its snapshots (issue targets on a 2-core machine:
full refresh ≤ 20 s, incremental ≤ 1 s, KPI API p95 ≤ 50 ms, peak worker memory ≤ 1 GiB).

    .venv/bin/python bench/kpi_refresh.py [--leads 1000000] [--keep]

Generates a client with 1,000,000 leads (stage timestamps across 24 months, 8 channels, 50
campaigns, 20 offers, 40 landing pages), daily traffic, spend, CTA and keyword facts and 500 email
sends, then times (a) a full refresh of every KPI × day/week/month/quarter × every dimension, and the
nightly full refresh that follows with nothing changed, (b) an incremental refresh after 1,000 new
leads and 100 stage moves of open leads picked at random over the 24 months, (c) the KPI API over
a 12-month range, and (d) the dashboard page and its charts API. This process is the worker: its
peak memory is printed. Uses DATABASE_URL or the embedded PostgreSQL; the client is dropped at the
end unless --keep.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

CHANNELS = ["direct", "organic_search", "paid_search", "organic_social", "paid_social", "email", "referral", "display"]


def generate(cursor, *, leads: int, days: int) -> None:
    """Facts in bulk, in SQL (the refresh is what is measured, not this)."""
    cursor.execute(
        """
        INSERT INTO campaigns_campaign (key, name, channel_id, utm_campaign, status)
        SELECT 'campaign-' || i, 'Campaign ' || i,
               (SELECT id FROM campaigns_channel WHERE key = (%(ch)s::text[])[1 + i %% 8]), 'cmp' || i, 'active'
        FROM generate_series(0, 49) i;
        INSERT INTO campaigns_offer (key, name, kind) SELECT 'offer-' || i, 'Offer ' || i, 'ebook'
            FROM generate_series(0, 19) i;
        INSERT INTO campaigns_landingpage (key, name, url, offer_id)
        SELECT 'page-' || i, 'Page ' || i, 'https://example.test/p' || i,
               (SELECT id FROM campaigns_offer WHERE key = 'offer-' || (i %% 20)) FROM generate_series(0, 39) i;
        INSERT INTO campaigns_cta (key, name) SELECT 'cta-' || i, 'CTA ' || i FROM generate_series(0, 29) i;
        """,
        {"ch": CHANNELS},
    )
    params = {"n": leads, "days": days, "ch": CHANNELS}
    # Leads: created uniformly over the last `days` days; 30 % reach MQL, 12 % SQL, 4 % customer.
    cursor.execute(
        """
        WITH ids AS (
            SELECT i, now() - (random() * %(days)s) * interval '1 day' AS created, random() AS r
            FROM generate_series(1, %(n)s) i)
        INSERT INTO leads_lead (email, first_name, last_name, company, job_title, phone, created_at, updated_at,
            channel_id, campaign_id, offer_id, landing_page_id, keyword, utm_source, utm_medium, utm_campaign,
            utm_term, utm_content, stage, mql_at, sql_at, customer_at, is_lost, lost_reason, score, deal_value)
        SELECT 'lead' || i || '@bench.test', '', '', '', '', '', created, created,
            (SELECT id FROM campaigns_channel WHERE key = (%(ch)s::text[])[1 + i %% 8]),
            CASE WHEN i %% 10 <> 0 THEN (SELECT id FROM campaigns_campaign WHERE key = 'campaign-' || (i %% 50)) END,
            CASE WHEN i %% 5 <> 0 THEN (SELECT id FROM campaigns_offer WHERE key = 'offer-' || (i %% 20)) END,
            CASE WHEN i %% 7 <> 0 THEN (SELECT id FROM campaigns_landingpage WHERE key = 'page-' || (i %% 40)) END,
            '', '', '', '', '', '',
            CASE WHEN r < 0.04 THEN 'customer' WHEN r < 0.12 THEN 'sql' WHEN r < 0.30 THEN 'mql' ELSE 'lead' END,
            CASE WHEN r < 0.30 THEN LEAST(now(), created + r * interval '30 days') END,
            CASE WHEN r < 0.12 THEN LEAST(now(), created + r * interval '60 days') END,
            CASE WHEN r < 0.04 THEN LEAST(now(), created + r * interval '90 days') END,
            false, '', 0, CASE WHEN r < 0.04 THEN round((500 + r * 400000)::numeric, 2) END
        FROM ids
        """,
        params,
    )
    cursor.execute(
        """
        INSERT INTO campaigns_traffic (date, channel_id, landing_page_id, source, visits, updated_at)
        SELECT d::date, ch.id, lp.id, 'import', 50 + (random() * 400)::int, now()
        FROM generate_series(current_date - %(days)s, current_date, interval '1 day') d
        CROSS JOIN campaigns_channel ch
        LEFT JOIN campaigns_landingpage lp ON lp.key IN ('page-' || (ch.id %% 40), 'page-' || ((ch.id + 20) %% 40))
        WHERE ch.key = ANY(%(ch)s);
        INSERT INTO campaigns_spend (date, campaign_id, amount, updated_at)
        SELECT d::date, c.id, round((random() * 900)::numeric, 2), now()
        FROM generate_series(current_date - %(days)s, current_date, interval '1 day') d CROSS JOIN campaigns_campaign c;
        INSERT INTO campaigns_ctastat (date, cta_id, source, views, clicks, updated_at)
        SELECT d::date, c.id, 'import', 1000, (random() * 300)::int, now()
        FROM generate_series(current_date - %(days)s, current_date, interval '1 day') d CROSS JOIN campaigns_cta c;
        INSERT INTO campaigns_keywordstat (date, keyword, channel_id, visits, impressions, updated_at)
        SELECT d::date, 'keyword ' || k, (SELECT id FROM campaigns_channel WHERE key = 'organic_search'),
               (random() * 200)::int, 5000, now()
        FROM generate_series(current_date - %(days)s, current_date, interval '1 day') d, generate_series(0, 199) k;
        INSERT INTO campaigns_emailsend (key, name, sent_at, campaign_id, sent, delivered, unique_opens, unique_clicks,
            unsubscribes, bounces, complaints, updated_at)
        SELECT 'send-' || i, 'Send ' || i, now() - (i * %(days)s / 500.0) * interval '1 day',
               (SELECT id FROM campaigns_campaign WHERE key = 'campaign-' || (i %% 50)),
               10000, 9700, 2500, 400, 20, 300, 2, now()
        FROM generate_series(0, 499) i;
        """,
        params,
    )
    # What autovacuum does to a table after a bulk load: statistics, and the visibility map that
    # lets index-only scans skip the heap.
    cursor.execute("ANALYZE")
    cursor.execute("VACUUM leads_lead")


def measure_refreshes() -> None:
    from django.utils import timezone

    from kpis.models import Measure, Snapshot
    from kpis.refresh import kpi_snapshot_refresh
    from leads.models import Lead
    from leads.services import lead_move_stage

    started = time.perf_counter()
    first = kpi_snapshot_refresh(full=True)
    first_time = time.perf_counter() - started
    print(
        f"(a) first full refresh  {first_time:6.2f} s  {Snapshot.objects.count():,} snapshots and "
        f"{Measure.objects.count():,} measures written  {first.timings}"
    )
    print(f"    peak memory so far  {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")
    started = time.perf_counter()
    nightly = kpi_snapshot_refresh(full=True)
    print(
        f"    nightly full refresh {time.perf_counter() - started:5.2f} s  every fact re-read, every row "
        f"compared, {nightly.snapshots_changed} changed  {nightly.timings}"
    )
    # (b) 1,000 new leads and 100 stage moves of open leads picked anywhere in the 24 months
    now = timezone.now()
    Lead.objects.bulk_create(
        Lead(email=f"new{i}-{int(time.time())}@bench.test", created_at=now - timedelta(minutes=i)) for i in range(1000)
    )
    rng = random.Random(7)
    open_ids = list(Lead.objects.filter(stage__in=["lead", "mql"]).values_list("pk", flat=True)[:200_000])
    for pk in rng.sample(open_ids, 100):
        lead = Lead.objects.get(pk=pk)
        lead_move_stage(lead=lead, to="mql" if lead.stage == "lead" else "sql")
    started = time.perf_counter()
    incremental = kpi_snapshot_refresh()
    print(
        f"(b) incremental refresh {time.perf_counter() - started:6.2f} s  {incremental.dirty_days} dirty days, "
        f"{incremental.measures_changed} measures and {incremental.snapshots_changed} snapshots changed"
        f"  {incremental.timings}"
    )
    started = time.perf_counter()
    kpi_snapshot_refresh()
    print(f"    incremental, idle   {time.perf_counter() - started:6.2f} s  (nothing written since)")


def measure_api(slug: str, user) -> None:
    """(c) the KPI API over 12 months, as a browser calls it (session, every middleware)."""
    from django.test import Client as HttpClient
    from django.utils import timezone

    http = HttpClient()
    http.force_login(user)
    today = timezone.localdate()
    year_ago = (today - timedelta(days=365)).isoformat()
    base = f"/c/{slug}/api/v1/kpis/"
    requests = {
        "month totals, all KPIs": f"{base}?period=month&from={year_ago}&to={today}",
        "day leads, 12 months": f"{base}?period=day&kpi=leads&from={year_ago}&to={today}",
        "week leads+mqls by channel": f"{base}?period=week&kpi=leads&kpi=mqls&dimension=channel"
        f"&from={year_ago}&to={today}",
        "month CPL by campaign": f"{base}?period=month&kpi=cost_per_lead&dimension=campaign&from={year_ago}&to={today}",
    }
    print("(c) KPI API, 12-month range (200 requests each):")
    for name, url in requests.items():
        response = timed_requests(http, name, url, 200)
        print(f"      ({len(response.json()['results'])} rows)")


def timed_requests(http, name: str, url: str, count: int):
    """GET ``url`` ``count`` times (after one warm-up), print p50 and p95; returns the last response."""
    assert http.get(url).status_code == 200, url
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = http.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    print(f"    {name:28s} p50 {statistics.median(timings):5.1f} ms  p95 {percentile(timings, 95):5.1f} ms")
    return response


def measure_dashboard(slug: str, user) -> None:
    """(d) the dashboard page and its charts API (every chart of a state), as a browser calls them."""
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(user)
    requests = {
        "page, last month": f"/c/{slug}/",
        "charts API, last month": f"/c/{slug}/api/v1/dashboard/",
        "charts API, 13 weeks": f"/c/{slug}/api/v1/dashboard/?period=week&range=this",
        "charts API, drilled campaign": f"/c/{slug}/api/v1/dashboard/?dimension=campaign&key=campaign-7",
    }
    print("(d) dashboard (50 requests each):")
    for name, url in requests.items():
        timed_requests(http, name, url, 50)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--keep", action="store_true", help="Keep the generated client (its slug is printed).")
    parser.add_argument("--no-api", action="store_true", help="Skip (c).")
    parser.add_argument("--api-only", action="store_true", help="With --reuse: only (c).")
    parser.add_argument("--reuse", metavar="SLUG", help="Measure a client kept by an earlier --keep run.")
    parser.add_argument("--generate-only", action="store_true", help="Generate (with --keep), measure nothing.")
    parser.add_argument("--reset", action="store_true", help="With --reuse: forget its KPIs first (a first refresh).")
    args = parser.parse_args()
    from config.database import create_database_if_missing

    if os.environ.get("DATABASE_URL"):
        create_database_if_missing(os.environ["DATABASE_URL"])
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django_tenants.utils import tenant_context

    from leads.models import Lead
    from tenants.services import client_create, membership_grant, user_create_or_update

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", interactive=False, verbosity=0)
    slug = args.reuse or f"bench-kpi-{int(time.time())}"
    client, created = client_create(slug=slug, name="KPI benchmark")
    user, _ = user_create_or_update(email=f"manager@{slug}.test", password="bench-password-2026")
    membership_grant(user=user, client=client, role="manager")
    try:
        with tenant_context(client), connection.cursor() as cursor:
            if created:
                started = time.perf_counter()
                generate(cursor, leads=args.leads, days=args.days)
                generated = time.perf_counter() - started
                print(
                    f"generated {Lead.objects.count():,} leads and daily facts over {args.days} days in "
                    f"{generated:.1f} s"
                )
            if args.generate_only:
                return
            if not args.api_only:
                if args.reset:
                    cursor.execute("TRUNCATE kpis_measure, kpis_snapshot, kpis_refreshrun, kpis_dirtyday")
                measure_refreshes()
        if not args.no_api:
            measure_api(slug, user)
            measure_dashboard(slug, user)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak memory of this process (the worker): {peak:,.0f} MiB")
    finally:
        if args.keep:
            print(f"kept client {slug} (manager {user.email})")
        else:
            client.delete(force_drop=True)
            user.delete()


if __name__ == "__main__":
    main()
