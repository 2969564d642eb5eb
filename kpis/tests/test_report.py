"""The on-demand KPI report (``kpi_report``, kpis/report.py) on small hand-made data (docs/kpis.md §1, §4)."""

from datetime import UTC, date, datetime
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from campaigns.tests.factories import builtin_channel
from kpis.periods import period_starts
from kpis.report import kpi_compute
from leads.models import Lead
from leads.tests.factories import LeadFactory, StageMoveFactory

PARIS = ZoneInfo("Europe/Paris")
AS_OF = datetime(2026, 4, 15, tzinfo=UTC)


def local(*args) -> datetime:
    return datetime(*args, tzinfo=PARIS)


def by(rows: list[dict]) -> dict:
    return {(row["kpi"], row["start"], row["key"]): row for row in rows}


def months(dimension=None, *, start=date(2026, 1, 1), end=date(2026, 3, 31), as_of=AS_OF, **kw):
    return by(kpi_compute(period="month", start=start, end=end, dimension=dimension, as_of=as_of, **kw))


def test_period_starts_cover_the_periods_starting_in_the_range():
    assert period_starts("week", date(2026, 1, 1), date(2026, 1, 31)) == [
        date(2026, 1, 5),
        date(2026, 1, 12),
        date(2026, 1, 19),
        date(2026, 1, 26),
    ]
    assert period_starts("quarter", date(2026, 1, 1), date(2026, 12, 31))[-1] == date(2026, 10, 1)
    assert period_starts("month", date(2026, 1, 2), date(2026, 1, 31)) == []


def test_no_data_gives_zero_counts_and_null_rates(in_alpha):
    rows = months()
    jan = "2026-01-01"
    assert rows[("leads", jan, None)]["value"] == 0
    assert rows[("spend", jan, None)]["value"] == 0.0
    assert rows[("revenue", jan, None)]["value"] == 0.0
    for kpi in (
        "visit_to_lead_rate",
        "cost_per_lead",
        "lead_growth",
        "paid_lead_share",
        "organic_lead_share",
        "roi",
        "cta_click_rate",
        "email_open_rate",
        "lead_to_mql_rate",
        "mql_to_sql_rate",
    ):
        assert rows[(kpi, jan, None)]["value"] is None, kpi
        assert rows[(kpi, jan, None)]["denominator"] == 0, kpi
    assert ("keyword_visits", jan, None) not in rows  # keyword is a required dimension


def test_cost_per_lead_is_zero_without_spend_when_there_are_leads(in_alpha):
    LeadFactory(created_at=local(2026, 1, 10, 12))  # channel: direct, not paid
    rows = months()
    assert rows[("cost_per_lead", "2026-01-01", None)]["value"] == 0
    assert rows[("organic_lead_share", "2026-01-01", None)]["value"] == 1


def test_a_minute_either_side_of_local_midnight_at_a_month_end(in_alpha):
    LeadFactory(created_at=local(2026, 1, 31, 23, 59))  # 22:59 UTC
    LeadFactory(created_at=local(2026, 2, 1, 0, 1))  # still 31 January in UTC
    rows = months()
    days = by(
        kpi_compute(
            period="day", start=date(2026, 1, 31), end=date(2026, 2, 1), dimension=None, as_of=AS_OF, kpis=["leads"]
        )
    )
    assert rows[("leads", "2026-01-01", None)]["value"] == 1
    assert rows[("leads", "2026-02-01", None)]["value"] == 1
    assert days[("leads", "2026-01-31", None)]["value"] == 1
    assert days[("leads", "2026-02-01", None)]["value"] == 1


def test_a_stage_reached_after_as_of_does_not_count(in_alpha):
    LeadFactory(created_at=local(2026, 1, 10), stage="sql", mql_at=local(2026, 1, 20), sql_at=local(2026, 2, 10))
    rows = months(as_of=local(2026, 2, 1))
    assert rows[("mqls", "2026-01-01", None)]["value"] == 1
    assert rows[("lead_to_mql_rate", "2026-01-01", None)]["value"] == 1
    assert rows[("mql_to_sql_rate", "2026-01-01", None)]["value"] == 0
    assert rows[("sqls", "2026-02-01", None)]["value"] == 0
    assert rows[("sql_to_customer_rate", "2026-02-01", None)]["value"] is None


def test_lead_growth_has_a_row_for_a_key_with_leads_only_in_the_previous_period(in_alpha):
    LeadFactory(created_at=local(2026, 1, 10), channel=builtin_channel("paid_search"))
    # no channel: the null key. A row as stored, not a factory's: the services give every lead a channel
    # (direct at least), but the report must count the rows of leads from before the channels.
    Lead.objects.create(email="b@x.test", created_at=local(2026, 2, 10))
    rows = months("channel", start=date(2026, 2, 1), end=date(2026, 2, 28))
    row = rows[("lead_growth", "2026-02-01", "paid_search")]
    assert (row["value"], row["numerator"], row["denominator"]) == (-1, -1, 1)
    assert rows[("lead_growth", "2026-02-01", None)]["value"] is None  # nothing the month before
    assert ("leads", "2026-02-01", "paid_search") not in rows
    assert rows[("leads", "2026-02-01", None)]["value"] == 1


def test_a_fixed_number_of_queries_whatever_the_periods_and_leads(in_alpha):
    for i in range(20):
        LeadFactory(created_at=local(2026, 1, 1 + i), stage="customer", deal_value=10)
    with CaptureQueriesContext(connection) as month_queries:
        kpi_compute(period="month", start=date(2026, 1, 1), end=date(2026, 3, 31), dimension=None, as_of=AS_OF)
    with CaptureQueriesContext(connection) as day_queries:
        kpi_compute(period="day", start=date(2026, 1, 1), end=date(2026, 3, 31), dimension="channel", as_of=AS_OF)
    # one statement for every source and KPI, one for the objectives (targets and statuses)
    assert len(month_queries) == 2
    assert len(day_queries) == 2
    assert "GROUPING SETS" in month_queries[0]["sql"] and "kpis_objective" in month_queries[1]["sql"]


def test_kpi_report_refuses_bad_arguments_clearly(db, world):
    base = ["--tenant", "alpha", "--period", "month", "--from", "2026-01-01", "--to", "2026-03-31"]
    bad = [
        ["--tenant", "nobody", "--period", "month", "--from", "2026-01-01", "--to", "2026-03-31"],
        [*base[:-2], "--to", "31/03/2026"],
        [*base[:-4], "--from", "2026-04-01", "--to", "2026-03-31"],
        [*base, "--as-of", "tomorrow"],
        [*base, "--period", "year"],
        [*base, "--dimension", "color"],
        [*base, "--kpi", "nope"],
    ]
    for args in bad:
        with pytest.raises(CommandError):
            call_command("kpi_report", *args, stdout=StringIO())


def test_kpi_report_naive_as_of_is_local_and_formats(db, world):
    # The command runs from the public schema, as from a shell, and enters the client it names itself:
    # only the lead is written in alpha.
    with tenant_context(world.alpha):
        LeadFactory(created_at=local(2026, 1, 10), stage="mql", mql_at=local(2026, 1, 20, 0, 30))
    base = ["--tenant", "alpha", "--period", "month", "--from", "2026-01-01", "--to", "2026-01-31", "--kpi", "mqls"]
    out = StringIO()
    # 00:30 Paris is 23:30 UTC the day before: a naive 00:45 is after it, a UTC 23:15 is before it
    call_command("kpi_report", *base, "--as-of", "2026-01-20T00:45:00", "--format", "csv", stdout=out)
    assert out.getvalue().splitlines()[1].startswith("mqls,month,2026-01-01,,,1,")
    out = StringIO()
    call_command("kpi_report", *base, "--as-of", "2026-01-19T23:15:00+00:00", stdout=out)
    assert out.getvalue().splitlines()[1].split()[:3] == ["mqls", "2026-01-01", "(none)"]
    assert out.getvalue().splitlines()[1].split()[3] == "0"


# --- edge cases docs/kpis.md names --------------------------------------------------------------


def test_dst_days_bucket_by_the_local_calendar(in_alpha):
    from kpis.models import Snapshot
    from kpis.refresh import kpi_snapshot_refresh

    utc = ZoneInfo("UTC")
    instants = [
        datetime(2026, 3, 28, 22, 30, tzinfo=utc),  # 23:30 on the 28th in Paris
        datetime(2026, 3, 29, 0, 30, tzinfo=utc),  # 01:30 CET, before the clocks jump
        datetime(2026, 3, 29, 1, 30, tzinfo=utc),  # 03:30 CEST, after: the 29th has 23 hours
        datetime(2026, 3, 29, 21, 59, tzinfo=utc),  # 23:59 CEST
        datetime(2026, 3, 29, 22, 1, tzinfo=utc),  # 00:01 on the 30th
        datetime(2026, 10, 25, 0, 30, tzinfo=utc),  # 02:30 CEST on the 25th (25 hours long)
        datetime(2026, 10, 25, 1, 30, tzinfo=utc),  # 02:30 CET, the same wall time an hour later
        datetime(2026, 10, 25, 22, 59, tzinfo=utc),  # 23:59 CET
    ]
    for instant in instants:
        LeadFactory(created_at=instant)
    days = {
        (r["start"]): r["value"]
        for r in kpi_compute(
            period="day",
            start=date(2026, 3, 28),
            end=date(2026, 10, 26),
            dimension=None,
            as_of=AS_OF.replace(month=12),
            kpis=["leads"],
        )
    }
    weeks = by(
        kpi_compute(
            period="week",
            start=date(2026, 3, 23),
            end=date(2026, 3, 30),
            dimension=None,
            as_of=AS_OF.replace(month=12),
            kpis=["leads"],
        )
    )
    kpi_snapshot_refresh(full=True, as_of=datetime(2026, 12, 1, tzinfo=utc))
    stored = dict(Snapshot.objects.filter(kpi="leads", period="day", dimension="").values_list("start", "value"))
    assert (days["2026-03-28"], days["2026-03-29"], days["2026-03-30"]) == (1, 3, 1)
    assert (days["2026-10-24"], days["2026-10-25"], days["2026-10-26"]) == (0, 3, 0)
    assert weeks[("leads", "2026-03-23", None)]["value"] == 4 and weeks[("leads", "2026-03-30", None)]["value"] == 1
    assert (stored[date(2026, 3, 29)], stored[date(2026, 3, 30)], stored[date(2026, 10, 25)]) == (3, 1, 3)


def test_a_skipped_stage_counts_as_reached_at_that_instant(in_alpha):
    skipped = LeadFactory(created_at=local(2026, 1, 5))
    StageMoveFactory(lead=skipped, to="sql", at=local(2026, 2, 3, 10))
    LeadFactory(created_at=local(2026, 1, 6))
    rows = months()
    # reaching SQL on 3 February reached MQL then too
    assert rows[("mqls", "2026-02-01", None)]["value"] == 1
    assert rows[("sqls", "2026-02-01", None)]["value"] == 1
    assert rows[("mql_to_sql_rate", "2026-02-01", None)]["value"] == 1
    assert rows[("lead_to_mql_rate", "2026-01-01", None)]["value"] == 0.5  # 1 of January's 2 leads
    assert rows[("mqls", "2026-01-01", None)]["value"] == 0


@pytest.mark.parametrize("first", ["old", "new"])
def test_duplicates_give_the_same_kpis_whatever_arrives_first(in_alpha, first):
    old = {"email": "Same@X.test ", "created_at": local(2026, 1, 5), "channel": builtin_channel("paid_search")}
    new = {"email": "same@x.test", "created_at": local(2026, 2, 10), "stage": "mql", "mql_at": local(2026, 2, 12)}
    for record in (old, new) if first == "old" else (new, old):
        LeadFactory(**record)  # the same email twice merges, as lead_upsert does
    assert Lead.objects.count() == 1
    rows = months("channel")
    totals = months()
    assert rows[("leads", "2026-01-01", "paid_search")]["value"] == 1  # created the earlier day, first touch
    assert ("leads", "2026-02-01", "paid_search") not in rows
    assert rows[("mqls", "2026-02-01", "paid_search")]["value"] == 1
    assert totals[("lead_to_mql_rate", "2026-01-01", None)]["value"] == 1
    assert totals[("paid_lead_share", "2026-01-01", None)]["value"] == 1


def test_zero_denominators_are_null_in_the_snapshots_too(in_alpha):
    from kpis.models import Snapshot
    from kpis.refresh import kpi_snapshot_refresh

    LeadFactory(created_at=local(2026, 1, 10))
    kpi_snapshot_refresh(full=True, as_of=AS_OF)
    row = Snapshot.objects.get(kpi="visit_to_lead_rate", period="month", dimension="", start=date(2026, 2, 1))
    cpl = Snapshot.objects.get(kpi="cost_per_lead", period="month", dimension="", start=date(2026, 1, 1))
    assert (row.value, row.numerator, row.denominator, row.previous_value, row.change) == (None, 0, 0, None, None)
    assert (cpl.value, cpl.numerator, cpl.denominator) == (0, 0, 1)  # no spend, one lead: 0, not null


def test_kpi_refresh_command_refreshes_one_client_or_all(db, world):
    # The command runs from the public schema, as from a shell: only the lead is written in alpha.
    with tenant_context(world.alpha):
        LeadFactory(created_at=local(2026, 1, 10))
    out = StringIO()
    call_command("kpi_refresh", "--tenant", "alpha", stdout=out)
    assert out.getvalue().startswith("alpha: full refresh")
    out = StringIO()
    call_command("kpi_refresh", "--all", "--full", stdout=out)
    assert {line.split(":")[0] for line in out.getvalue().splitlines()} == {"alpha", "beta", "gamma"}
    with pytest.raises(CommandError):
        call_command("kpi_refresh", "--tenant", "nobody", stdout=StringIO())
