"""As-of cuts the daily facts too (docs/kpis.md §1): a report or a snapshot as of T leaves out the
spend, traffic, CTA and keyword rows dated after T's local date and counts those on that date in
full; once the local date moves on, the next incremental refresh counts the days it reached.

The report is held to an independent computation: plain Python over the golden example's CSV files
(spend, traffic, campaigns) and the leads as the import left them (attribution and duplicates are
the importer's rules, tested with the imports), with none of kpis.measures, kpis.grid or
kpis.formulas."""

import csv
from collections import defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django_tenants.utils import tenant_context

from campaigns.models import Campaign, Spend
from kpis.models import Snapshot
from kpis.refresh import kpi_snapshot_refresh
from kpis.report import kpi_compute
from kpis.tests.test_refresh import assert_incremental_was_complete, close, golden_alpha, incremental_then_full
from leads.models import Lead
from tests.test_golden_kpis import GOLDEN, differences, import_golden, kpi_report

__all__ = ["golden_alpha"]  # a fixture

PARIS = ZoneInfo("Europe/Paris")
FIRST, LAST = date(2026, 1, 1), date(2026, 3, 31)
STAGES = {"leads": "created_at", "mqls": "mql_at", "sqls": "sql_at", "customers": "customer_at"}
COST_PER = {"leads": "cost_per_lead", "mqls": "cost_per_mql", "sqls": "cost_per_sql", "customers": "cost_per_customer"}
CHECKED = ("spend", "visits", *STAGES, *COST_PER.values())


# --- the independent computation -----------------------------------------------------------------


def _rows(name: str) -> list[dict]:
    text = (GOLDEN / f"{name}.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines(), delimiter=";" if text.split("\n", 1)[0].count(";") else ","))


def _period_start(day: date, period: str) -> date:
    return day.replace(day=1) if period == "month" else day - timedelta(days=day.weekday())


def independent_report(*, period: str, dimension: str | None, as_of: datetime) -> list[dict]:
    """Spend, visits, the stage counts and the cost per stage of each period starting in
    [FIRST, LAST], as of ``as_of``: a fact after as-of is left out, a daily fact dated after the
    local date of as-of too (one dated on it counts in full)."""
    today = as_of.astimezone(PARIS).date()
    channel_of = {row["key"]: row["channel"] for row in _rows("campaigns")}
    totals: dict[tuple, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))

    def key_of(channel: str | None, campaign: str | None):
        return {None: None, "channel": channel, "campaign": campaign}[dimension]

    for row in _rows("spend"):
        day = date.fromisoformat(row["date"])
        if day <= today:
            key = key_of(channel_of[row["campaign"]], row["campaign"])
            totals[(_period_start(day, period), key)]["spend"] += Decimal(row["amount"].replace(",", "."))
    if dimension != "campaign":
        for row in _rows("traffic"):
            day = date.fromisoformat(row["date"])
            if day <= today:
                totals[(_period_start(day, period), key_of(row["channel"] or None, None))]["visits"] += int(
                    row["visits"]
                )
    for lead in Lead.objects.select_related("channel", "campaign"):
        key = key_of(lead.channel and lead.channel.key, lead.campaign and lead.campaign.key)
        for kpi, field in STAGES.items():
            instant = getattr(lead, field)
            if instant is not None and instant <= as_of:
                totals[(_period_start(instant.astimezone(PARIS).date(), period), key)][kpi] += 1

    rows = []
    for (start, key), measures in totals.items():
        if not FIRST <= start <= LAST:
            continue
        values = {kpi: (float(measures[kpi]), None, None) for kpi in ("spend", "visits", *STAGES)}
        for stage, kpi in COST_PER.items():
            spend, reached = float(measures["spend"]), int(measures[stage])
            values[kpi] = (spend / reached if reached else None, spend, reached)
        for kpi, (value, numerator, denominator) in values.items():
            if dimension == "campaign" and kpi == "visits":
                continue
            rows.append(
                {
                    "kpi": kpi,
                    "period": period,
                    "start": start.isoformat(),
                    "dimension": dimension,
                    "key": key,
                    "value": value,
                    "numerator": numerator,
                    "denominator": denominator,
                    "target": None,
                    "status": None,
                }
            )
    return rows


# --- the report ----------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["month", "week"])
@pytest.mark.parametrize("dimension", [None, "channel", "campaign"])
@pytest.mark.parametrize(
    "as_of",
    [
        "2026-02-14T12:00:00+01:00",  # mid-month, mid-week (a Saturday)
        "2026-02-14T23:30:00+00:00",  # already 15 February in Paris: that day's facts count
        "2026-03-31T23:59:00+02:00",  # the last minute of the data
    ],
)
def test_the_report_as_of_a_moment_inside_the_data_equals_an_independent_computation(
    db, world, period, dimension, as_of
):
    # given the golden example
    import_golden()
    # when reported as of a moment inside its data
    arguments = ["--period", period, "--from", FIRST.isoformat(), "--to", LAST.isoformat(), "--as-of", as_of]
    actual = kpi_report(*arguments, *(["--dimension", dimension] if dimension else []), "--kpi", *CHECKED)
    # then spend, visits, stage counts and cost per stage are those computed independently
    with tenant_context(world.alpha):
        expected = independent_report(period=period, dimension=dimension, as_of=datetime.fromisoformat(as_of))
    actual = [row for row in actual if row["kpi"] in CHECKED]
    assert {row["kpi"] for row in actual} == set(CHECKED) - ({"visits"} if dimension == "campaign" else set())
    problems = differences(actual, expected)
    assert not problems, "\n".join(problems[:30])


def campaign_month(as_of: str) -> dict:
    rows = kpi_report(
        "--period", "month", "--from", "2026-02-01", "--to", "2026-02-01", "--dimension", "campaign", "--as-of", as_of
    )
    return {(row["kpi"], row["key"]): row for row in rows}


def test_the_cost_per_stage_of_a_month_in_progress_divides_the_spend_to_date(db, world):
    """Hand-checked from tests/fixtures/kpi-example, February 2026 as of Saturday the 14th, 12:00 in Paris.

    spend.csv, 1-14 February (the 14th in full, none of the 15th):
      spring-search: 11 rows, 1,964.83 (its 14th: 189.08; its 15th, 57.78, left out) of the month's 3,541.70
      linkedin-ads: 14 rows, 2,183.43 (its 14th: 177.80; its 15th, 194.57, left out) of the month's 3,688.71
    leads.csv:
      spring-search: person81 reached MQL on the 14th at 06:05; person118 was created on the 14th at
        18:15 (after as-of): no lead of February yet, one MQL
      linkedin-ads: person24 created on the 13th, MQL on the 18th: one lead, no MQL
    """
    # given the golden example
    import_golden()
    # when February is reported by campaign as of the 14th at noon, and after its end
    as_of, later = campaign_month("2026-02-14T12:00:00+01:00"), campaign_month("2026-04-15T00:00:00+02:00")
    # then the spend is that of the 1st to the 14th, and each cost per stage divides it
    assert later[("spend", "spring-search")]["value"] == 3541.70
    assert as_of[("spend", "spring-search")]["value"] == pytest.approx(1964.83)
    assert as_of[("cost_per_lead", "spring-search")]["value"] is None
    assert as_of[("cost_per_lead", "spring-search")]["denominator"] == 0
    assert as_of[("cost_per_mql", "spring-search")]["value"] == pytest.approx(1964.83)
    assert as_of[("cost_per_mql", "spring-search")]["denominator"] == 1
    assert later[("spend", "linkedin-ads")]["value"] == 3688.71
    assert as_of[("cost_per_lead", "linkedin-ads")]["value"] == pytest.approx(2183.43)
    assert as_of[("cost_per_lead", "linkedin-ads")]["denominator"] == 1
    assert as_of[("cost_per_mql", "linkedin-ads")]["value"] is None
    # and half an hour after midnight in Paris (23:30 UTC), the 15th counts in full
    past_midnight = campaign_month("2026-02-14T23:30:00+00:00")
    assert past_midnight[("spend", "spring-search")]["value"] == pytest.approx(1964.83 + 57.78)
    assert past_midnight[("spend", "linkedin-ads")]["value"] == pytest.approx(2183.43 + 194.57)


# --- the snapshots -------------------------------------------------------------------------------

APRIL = date(2026, 4, 1)


def spend_stored(day: date, period: str = "month") -> float | None:
    row = Snapshot.objects.filter(kpi="spend", period=period, start=day, dimension="").first()
    return None if row is None else row.value


def test_a_refresh_counts_the_spend_typed_in_advance_day_by_day(golden_alpha):
    # given the golden example refreshed as of 15 April, and April's spend typed in advance: 100.00
    # a day from the 10th to the 30th for one campaign
    campaign = Campaign.objects.get(key="spring-search")
    Spend.objects.bulk_create(
        Spend(date=date(2026, 4, day), campaign=campaign, amount=Decimal("100.00")) for day in range(10, 31)
    )
    # when refreshed incrementally on Saturday the 25th at 10:00 in Paris
    first = kpi_snapshot_refresh(as_of=datetime(2026, 4, 25, 10, tzinfo=PARIS))
    # then only the 10th to the 25th count, the 25th in full
    assert first.mode == "incremental"
    assert spend_stored(APRIL) == 1600.0
    assert spend_stored(date(2026, 4, 25), "day") == 100.0
    assert spend_stored(date(2026, 4, 26), "day") in (None, 0)
    assert spend_stored(date(2026, 4, 20), "week") == 600.0
    # when, with no write in between, the next refresh runs at 00:30 on Monday the 27th in Paris
    # (22:30 UTC on the 26th; no lead timestamp falls in between)
    as_of = datetime(2026, 4, 26, 22, 30, tzinfo=ZoneInfo("UTC"))
    second, full, after = incremental_then_full(as_of=as_of)
    # then the two days that became present count, they alone, and a full refresh changes nothing
    assert second.mode == "incremental" and second.dirty_days == 2
    assert spend_stored(APRIL) == 1800.0
    assert spend_stored(date(2026, 4, 20), "week") == 700.0
    assert spend_stored(date(2026, 4, 27), "week") == 100.0
    assert_incremental_was_complete(second, full, after)
    # and the snapshots of spend and cost per stage equal the report as of that instant
    kpis = ["spend", "cost_per_lead", "cost_per_mql", "cost_per_sql", "cost_per_customer"]
    reported = kpi_compute(period="month", start=APRIL, end=APRIL, dimension="campaign", as_of=as_of, kpis=kpis)
    stored = {
        (s.kpi, s.key or None): s.value
        for s in Snapshot.objects.filter(period="month", start=APRIL, dimension="campaign", kpi__in=kpis)
    }
    assert {(row["kpi"], row["key"]) for row in reported} == stored.keys()
    for row in reported:
        assert close(stored[(row["kpi"], row["key"])], row["value"]), row
    assert stored[("spend", "spring-search")] == 1800.0


def test_a_refresh_after_a_long_gap_counts_every_day_it_reached(golden_alpha):
    # given spend typed for the rest of the year on 15 April, refreshed then
    campaign = Campaign.objects.get(key="linkedin-ads")
    Spend.objects.bulk_create(
        Spend(date=date(2026, 4, 16) + timedelta(days=i), campaign=campaign, amount=Decimal("10.00"))
        for i in range(200)
    )
    kpi_snapshot_refresh(as_of=datetime(2026, 4, 15, 12, tzinfo=PARIS))
    assert spend_stored(date(2026, 5, 1)) in (None, 0)
    # when the next refresh runs three months later, with no write in between
    incremental, full, after = incremental_then_full(as_of=datetime(2026, 7, 15, 12, tzinfo=PARIS))
    # then every day from the 16th of April to the 15th of July counts, as after a full refresh
    assert (
        incremental.mode == "incremental" and incremental.dirty_days >= 91
    )  # and the days of the leads that moved meanwhile
    assert spend_stored(date(2026, 5, 1)) == 310.0
    assert spend_stored(date(2026, 7, 1)) == 150.0
    assert spend_stored(date(2026, 8, 1)) in (None, 0)
    assert_incremental_was_complete(incremental, full, after)
