"""Snapshot refreshes (kpis.refresh): stored snapshots equal the report computed from the facts, an
incremental refresh after any kind of write leaves exactly what a full one would, and refreshing
twice changes nothing."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from campaigns.models import Campaign, Channel, EmailSend, Spend, Traffic
from campaigns.services import campaign_save, fact_save, record_delete
from campaigns.tests.factories import KeywordStatFactory, builtin_channel
from kpis.models import DirtyDay, Measure, Objective, RefreshRun, Snapshot
from kpis.refresh import kpi_snapshot_refresh
from kpis.registry import DEFINITION_VERSION, DIMENSIONS
from kpis.report import kpi_compute
from leads.models import Lead
from leads.services import lead_update
from leads.tests.factories import LeadFactory, StageMoveFactory

PARIS = ZoneInfo("Europe/Paris")
AS_OF = datetime(2026, 4, 15, tzinfo=PARIS)
LATER = AS_OF + timedelta(days=2, hours=5)
COMPARED = (
    "value",
    "numerator",
    "denominator",
    "previous_value",
    "change",
    "target",
    "status",
    "anomaly",
    "baseline_median",
    "baseline_low",
    "baseline_high",
    "is_partial",
    "definition_version",
)


def report(period: str, dimension, *, as_of=AS_OF) -> dict:
    rows = kpi_compute(period=period, start=date(2025, 12, 1), end=as_of.date(), dimension=dimension, as_of=as_of)
    return {(r["kpi"], r["start"], r["key"] if dimension else None): r for r in rows}


def stored(period: str, dimension) -> dict:
    rows = Snapshot.objects.filter(period=period, dimension=dimension or "")
    return {(s.kpi, s.start.isoformat(), (s.key or None) if dimension else None): s for s in rows}


def table() -> dict:
    """Every snapshot, keyed, with the columns a refresh decides."""
    return {
        (s["period"], s["kpi"], s["dimension"], s["key"], s["start"]): tuple(s[c] for c in COMPARED)
        for s in Snapshot.objects.values("period", "kpi", "dimension", "key", "start", *COMPARED)
    }


def close(a, b) -> bool:
    return a == b or (a is not None and b is not None and abs(a - b) <= 1e-9 * max(1, abs(b)))


@pytest.fixture
def golden_alpha(in_alpha, golden):
    """The shared golden fixture; the test runs in alpha (``in_alpha``)."""
    return in_alpha


def test_every_snapshot_equals_the_report_from_the_facts(golden_alpha):
    # given the golden example refreshed in full (fixture); then for every period kind and dimension
    for period in ("day", "week", "month", "quarter"):
        for dimension in (None, *DIMENSIONS):
            actual = stored(period, dimension)
            first = min((k[1] for k in stored(period, None)), default="9999")
            expected = {k: r for k, r in report(period, dimension).items() if k[1] >= first}
            assert expected.keys() == actual.keys(), (period, dimension, sorted(expected.keys() ^ actual.keys())[:5])
            for k, row in expected.items():
                for field in ("value", "numerator", "denominator"):
                    assert close(getattr(actual[k], field), row[field]), (period, dimension, k, field)


def test_snapshots_carry_the_previous_period_and_the_change(golden_alpha):
    months = stored("month", None)
    february, january = months[("leads", "2026-02-01", None)], months[("leads", "2026-01-01", None)]
    assert february.previous_value == january.value
    assert february.change == february.value - january.value
    growth = months[("lead_growth", "2026-03-01", None)]
    assert close(growth.previous_value, months[("lead_growth", "2026-02-01", None)].value)
    assert months[("lead_to_mql_rate", "2026-01-01", None)].previous_value is None  # nothing before January
    assert months[("leads", "2026-01-01", None)].previous_value == 0
    # the month of as-of is in progress, the others are over
    assert months[("leads", "2026-04-01", None)].is_partial
    assert not february.is_partial
    assert {s.as_of for s in Snapshot.objects.all()} == {AS_OF}
    assert {s.definition_version for s in Snapshot.objects.all()} == {DEFINITION_VERSION}


def test_a_second_refresh_changes_nothing(golden_alpha):
    before = table()
    again = kpi_snapshot_refresh(as_of=AS_OF)
    full = kpi_snapshot_refresh(full=True, as_of=AS_OF)
    assert (again.measures_changed, again.snapshots_changed) == (0, 0)
    assert (full.measures_changed, full.snapshots_changed) == (0, 0)
    assert table() == before


def incremental_then_full(as_of=LATER) -> tuple:
    incremental = kpi_snapshot_refresh(as_of=as_of)
    after_incremental = table()
    full = kpi_snapshot_refresh(full=True, as_of=as_of)
    return incremental, full, after_incremental


def assert_incremental_was_complete(incremental, full, after_incremental) -> None:
    after_full = table()
    assert incremental.mode == "incremental"
    differences = [
        k for k in after_full.keys() | after_incremental.keys() if after_full.get(k) != after_incremental.get(k)
    ]
    assert not differences, sorted(differences)[:10]
    assert (full.measures_changed, full.snapshots_changed) == (0, 0)


def test_incremental_after_new_leads_moves_and_attribution_changes(golden_alpha):
    paid_social = builtin_channel("paid_social")
    # given new leads today, an old lead moved to customer (its January cohort changes), another
    # moved to another channel, and a lead erased
    for i in range(3):
        LeadFactory(created_at=LATER - timedelta(hours=i), channel=paid_social)
    old = Lead.objects.filter(created_at__lt=datetime(2026, 2, 1, tzinfo=PARIS), customer_at__isnull=True).first()
    StageMoveFactory(lead=old, to="customer", at=LATER - timedelta(hours=1))
    other = Lead.objects.exclude(pk=old.pk).filter(created_at__month=3).first()
    lead_update(lead=other, changes={"channel": paid_social})
    Lead.objects.filter(created_at__month=2).order_by("pk").first().delete()
    # when refreshed incrementally
    incremental, full, after = incremental_then_full()
    # then it touched only some days, and a full refresh finds nothing left to do
    assert 0 < incremental.dirty_days < 20
    assert_incremental_was_complete(incremental, full, after)
    assert stored("day", None)[("leads", "2026-04-17", None)].value == 3


def test_incremental_after_marketing_fact_writes(golden_alpha):
    traffic = Traffic.objects.order_by("pk").first()
    fact_save(Traffic, traffic, visits=traffic.visits + 500)
    record_delete(Spend.objects.order_by("-amount").first())
    send = EmailSend.objects.order_by("pk").first()
    send.unique_opens = 0
    send.save()
    incremental, full, after = incremental_then_full()
    assert incremental.measures_changed > 0
    assert_incremental_was_complete(incremental, full, after)


def test_a_changed_campaign_channel_refreshes_every_period(golden_alpha):
    campaign = Campaign.objects.filter(spend__isnull=False).distinct().first()
    other = Channel.objects.exclude(pk=campaign.channel_id).get(key="display")
    campaign_save(campaign, channel=other)
    assert DirtyDay.objects.filter(source__isnull=True).exists()
    incremental, full, after = incremental_then_full()
    assert incremental.mode == "full"  # a catalogue change dirties everything
    assert after == table()


def test_a_stage_reached_in_the_future_counts_once_its_time_has_come(golden_alpha):
    # given a lead whose MQL date was written ahead of time (an import from a CRM), refreshed before it
    created = AS_OF - timedelta(days=3)
    LeadFactory(created_at=created, stage="mql", mql_at=AS_OF + timedelta(days=1))
    kpi_snapshot_refresh(as_of=AS_OF + timedelta(hours=1))
    april = stored("month", None)[("mqls", "2026-04-01", None)].value
    # when a later refresh runs with no write in between
    incremental, full, after = incremental_then_full(as_of=AS_OF + timedelta(days=2))
    # then the MQL counts, in its month and in its cohort, as the report computes it at that instant
    later = stored("month", None)[("mqls", "2026-04-01", None)].value
    assert later > april
    assert later == report("month", None, as_of=AS_OF + timedelta(days=2))[("mqls", "2026-04-01", None)]["value"]
    assert_incremental_was_complete(incremental, full, after)


def test_a_period_that_ends_is_no_longer_in_progress(golden_alpha):
    day = stored("day", None)[("leads", "2026-04-15", None)]
    assert day.is_partial
    incremental, full, after = incremental_then_full(as_of=AS_OF + timedelta(days=1, hours=1))
    assert not stored("day", None)[("leads", "2026-04-15", None)].is_partial
    assert stored("day", None)[("leads", "2026-04-16", None)].is_partial
    assert_incremental_was_complete(incremental, full, after)


def test_the_statements_of_a_refresh_do_not_grow_with_the_data(golden_alpha):
    def statements(as_of, *, leads: int = 0) -> int:
        # 300 leads in one INSERT (LeadFactory writes each through the services): the refresh reads rows
        Lead.objects.bulk_create(
            Lead(email=f"m{as_of:%H%M}-{i}@x.test", created_at=AS_OF - timedelta(hours=7 * i)) for i in range(leads)
        )
        with CaptureQueriesContext(connection) as queries:
            kpi_snapshot_refresh(as_of=as_of)
        return len(queries)

    # given refreshes after 10 new leads over 3 days, then 300 over 88 days
    few = statements(AS_OF + timedelta(minutes=15), leads=10)
    many = statements(AS_OF + timedelta(minutes=30), leads=300)
    # then both run the same statements, and so do two refreshes with nothing new
    assert few == many
    assert statements(AS_OF + timedelta(minutes=45)) == statements(AS_OF + timedelta(minutes=50))


def test_a_refresh_runs_inside_a_client_only(db):
    connection.set_schema_to_public()
    with pytest.raises(ValueError, match="inside a client"):
        kpi_snapshot_refresh()


def test_each_run_is_recorded(golden_alpha):
    kpi_snapshot_refresh(as_of=LATER)
    runs = list(RefreshRun.objects.order_by("as_of").values_list("mode", "as_of"))
    assert runs == [("full", AS_OF), ("incremental", LATER)]
    assert Measure.objects.filter(period="quarter").exists()


def test_the_client_zone_decides_the_day_of_a_fact(db, world, in_client):
    # given a lead at 23:30 in Montréal (beta's zone): 04:30 UTC the next day
    in_client(world.beta)
    LeadFactory(created_at=datetime(2026, 3, 2, 4, 30, tzinfo=ZoneInfo("UTC")))
    kpi_snapshot_refresh(full=True, as_of=datetime(2026, 3, 10, tzinfo=ZoneInfo("UTC")))
    days = {s.start: s.value for s in Snapshot.objects.filter(kpi="leads", period="day", dimension="")}
    assert days[date(2026, 3, 1)] == 1 and days.get(date(2026, 3, 2), 0) == 0


def test_targets_and_statuses_follow_the_objectives(golden_alpha):
    from kpis.services import kpi_settings_update, objective_delete, objective_save

    january = int(stored("month", None)[("leads", "2026-01-01", None)].value)  # 43 leads
    objective = objective_save(kpi="leads", period="month", target=january)
    row = stored("month", None)[("leads", "2026-01-01", None)]
    assert (row.target, row.status) == (january, "green")
    objective_save(objective, target=january + 2)  # 43 / 45 = 0.956: within 10 %
    assert stored("month", None)[("leads", "2026-01-01", None)].status == "amber"
    kpi_settings_update(amber_ratio=f"{(january + 1) / (january + 2):.3f}")  # 0.978
    assert stored("month", None)[("leads", "2026-01-01", None)].status == "red"
    # a refresh keeps them
    kpi_snapshot_refresh(full=True, as_of=AS_OF)
    assert stored("month", None)[("leads", "2026-01-01", None)].status == "red"
    objective_delete(objective)
    row = stored("month", None)[("leads", "2026-01-01", None)]
    assert (row.target, row.status) == (None, None)


def test_a_refresh_works_on_the_periods_that_hold_data_not_on_the_span(db, world, in_client):
    # given a lead and a keyword stat on 2000-01-01 (the first day the date bounds allow) and a lead
    # today, 26 years later
    as_of = datetime(2026, 3, 10, 12, tzinfo=ZoneInfo("UTC"))
    in_client(world.beta)
    LeadFactory(created_at=datetime(2000, 1, 1, 12, tzinfo=ZoneInfo("UTC")))
    LeadFactory(created_at=as_of - timedelta(hours=1))
    KeywordStatFactory(date=date(2000, 1, 1), keyword="velo", visits=5)  # organic search
    # when refreshed in full
    kpi_snapshot_refresh(full=True, as_of=as_of)
    days = {s.start: s for s in Snapshot.objects.filter(kpi="leads", period="day", dimension="")}
    keyword_days = Snapshot.objects.filter(period="day", dimension="keyword").values_list("start", flat=True)
    # then totals exist for the days with data, the 8 after each (their trend and anomaly history
    # read them) and today, not for the 9,500 days between
    assert sorted(days) == [date(2000, 1, 1) + timedelta(days=i) for i in range(9)] + [date(2026, 3, 10)]
    assert days[date(2000, 1, 1)].value == 1 and days[date(2000, 1, 1)].previous_value == 0
    assert days[date(2000, 1, 2)].value == 0 and days[date(2026, 3, 10)].previous_value == 0
    assert set(keyword_days) <= {date(2000, 1, 1), date(2000, 1, 2)}
    # and an incremental refresh after a fact in the gap leaves what a full one would
    LeadFactory(created_at=datetime(2013, 6, 1, 12, tzinfo=ZoneInfo("UTC")))
    incremental, full, after = incremental_then_full(as_of=as_of + timedelta(hours=1))
    assert_incremental_was_complete(incremental, full, after)
    assert Snapshot.objects.filter(kpi="leads", period="day", dimension="", start=date(2013, 6, 1)).get().value == 1


def test_a_full_refresh_lays_out_grids_of_the_windows_only(db, world, in_client):
    from kpis.refresh.windows import GRID_CELLS, HISTORY, Span, grids_group, segments_find

    # given day measures of one keyword on 2000-01-01 and on the current day, 9,565 days later
    in_client(world.beta)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO kpis_measure (period, source, start, dimension, key, m0) VALUES "
            "('day', 'keywords', '2000-01-01', 'keyword', 'velo', 1), ('day', 'keywords', '2026-03-10', 'keyword', "
            "'velo', 1), ('day', 'keywords', '2000-01-01', '', '', 1), ('day', 'keywords', '2026-03-10', '', '', 1)"
        )
        span = Span(kind="day", first=date(2000, 1, 1), current=9565, since=None)
        # when the full refresh lays out its series windows
        segments = segments_find(cursor, span, full=True)
        groups = grids_group(segments)
    # then each series is two short windows, and no grid is wider than a window and its history
    assert [(s.dimension, s.base, s.write_from, s.write_to) for s in segments] == [
        ("", 0, 0, 8),
        ("", 9565 - HISTORY, 9565, 9565),
        ("keyword", 0, 0, 8),
        ("keyword", 9565 - HISTORY, 9565, 9565),
    ]
    cells = sum(len(group) * max(s.write_to - s.base + 1 for s in group) for _offset, group in groups)
    assert cells == 4 * 11 and cells <= GRID_CELLS


@pytest.fixture
def refresh_running(committed, in_client):
    """Beta with three January leads, refreshed and committed; then a refresh of beta in progress:
    another database connection holds beta's refresh lock. Returns a function that ends it. The
    test runs in beta (``in_client``)."""
    import psycopg

    from kpis.models import KPISettings

    in_client(committed.beta)
    for i in range(3):
        LeadFactory(created_at=datetime(2026, 1, 10 + i, tzinfo=PARIS))
    kpi_snapshot_refresh(full=True, as_of=AS_OF)
    settings = connection.settings_dict
    other = psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"] or None,
        host=settings["HOST"] or None,
        port=settings["PORT"] or None,
        autocommit=True,
    )
    lock = "hashtext('pouls.kpi_refresh'), hashtext(%s)"
    assert other.execute(f"SELECT pg_try_advisory_lock({lock})", [committed.beta.schema_name]).fetchone()[0]
    try:
        yield lambda: other.execute(f"SELECT pg_advisory_unlock({lock})", [committed.beta.schema_name])
        KPISettings.objects.all().delete()
    finally:
        other.close()


def test_objective_and_settings_writes_never_wait_for_a_running_refresh(refresh_running, world):
    import threading

    from django.test import Client as HttpClient

    from kpis.services import kpi_settings_update, objective_save

    # when a manager sets an objective (3 leads of 4: red at 0.9) and an amber threshold of 0.7 while
    # the refresh holds the lock (waiting on it fails the test instead of hanging it)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '3s'")
        objective = objective_save(kpi="leads", period="month", target=4)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL lock_timeout = '3s'")
        kpi_settings_update(amber_ratio="0.7")
    # and another objective through the API, from another connection (a web request)
    http, answers = HttpClient(), []
    http.force_login(world.owner)

    def post() -> None:
        body = {"kpi": "mqls", "period": "month", "target": "1"}
        answers.append(http.post("/c/beta/api/v1/kpis/objectives/", body, content_type="application/json").status_code)
        connection.close()

    request = threading.Thread(target=post)
    request.start()
    request.join(timeout=30)
    assert not request.is_alive() and answers == [201]
    # then all are saved, and the snapshots are left to the refresh
    assert Objective.objects.get(pk=objective.pk).target == 4
    row = stored("month", None)[("leads", "2026-01-01", None)]
    assert (row.value, row.target, row.status) == (3, None, None)
    assert DirtyDay.objects.filter(source="targets").exists()
    # when the running refresh ends and the next one runs
    refresh_running()
    kpi_snapshot_refresh(as_of=LATER)
    # then the snapshots have the target and the status the writes asked for: 3 / 4 = 0.75 is amber
    row = stored("month", None)[("leads", "2026-01-01", None)]
    assert (row.target, row.status) == (4, "amber")
    assert not DirtyDay.objects.filter(source="targets").exists()
    targeted = Snapshot.objects.filter(target__isnull=False)
    assert set(targeted.values_list("kpi", "period", "dimension", "key").distinct()) == {
        ("leads", "month", "", ""),
        ("mqls", "month", "", ""),
    }
    assert set(targeted.filter(kpi="leads").values_list("start", "status")) == {
        (date(2026, 1, 1), "amber"),
        (date(2026, 2, 1), "red"),
        (date(2026, 3, 1), "red"),
        (date(2026, 4, 1), "red"),
    }
