"""A correction recounts the KPIs without the reaches it voided; a regression keeps them (docs/kpis.md §3).

The issue's example: a cohort of January leads, one of which a sales person moved to customer by a
mis-click, then back to lead and on to MQL. Told as a *correction*, that lead never was a customer: the
lead → customer rate, the customers and the revenue of January drop back, in ``kpi_report`` (the command)
and in the snapshots after an incremental refresh (which a full refresh then finds nothing to add to).
Told as a *regression*, it was one and went back: every number stays."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from kpis.models import Snapshot
from kpis.refresh import kpi_snapshot_refresh
from leads.models import Lead, MoveKind, Stage
from leads.services import lead_move_stage
from leads.tests.factories import LeadFactory

PARIS = ZoneInfo("Europe/Paris")  # alpha's time zone
AS_OF = datetime(2026, 4, 15, tzinfo=PARIS)
JANUARY = "2026-01-01"
WATCHED = ("customers", "lead_to_customer_rate", "revenue", "mqls", "sqls", "mql_to_sql_rate", "sql_to_customer_rate")


def january(day: int, hour: int = 10) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=PARIS)


def cohort() -> Lead:
    """Three January leads: Bea, a customer of the 20th (4 000); Zoé, still a lead; and Max, moved to customer
    on the 25th by a mis-click (1 000). Returns Max."""
    bea, max_ = (LeadFactory(email=f"{n}@x.test", created_at=january(5)) for n in ("bea", "max"))
    LeadFactory(email="zoe@x.test", created_at=january(5))
    lead_move_stage(lead=bea, to=Stage.CUSTOMER, at=january(20), deal_value=Decimal(4000))
    lead_move_stage(lead=max_, to=Stage.CUSTOMER, at=january(25), deal_value=Decimal(1000))
    return max_


def back_then_mql(lead: Lead, kind: str) -> None:
    """Customer → lead (as ``kind``) on the 25th, then lead → MQL on the 26th: the issue's moves."""
    lead_move_stage(lead=lead, to=Stage.LEAD, kind=kind, at=january(25, 11))
    lead_move_stage(lead=lead, to=Stage.MQL, at=january(26))


def reported() -> dict[str, float | None]:
    """January's watched KPIs as ``kpi_report`` prints them (JSON)."""
    out = StringIO()
    call_command(
        "kpi_report",
        *("--tenant", "alpha", "--period", "month", "--from", JANUARY, "--to", "2026-01-31"),
        *("--as-of", AS_OF.isoformat(), "--format", "json", "--kpi", *WATCHED),
        stdout=out,
    )
    return {row["kpi"]: row["value"] for row in json.loads(out.getvalue()) if row["key"] is None}


def snapshots() -> dict[str, float | None]:
    rows = Snapshot.objects.filter(period="month", dimension="", start=date(2026, 1, 1), kpi__in=WATCHED)
    return {row.kpi: row.value for row in rows}


def close(actual: dict, expected: dict) -> bool:
    return actual.keys() == expected.keys() and all(
        actual[k] == expected[k] or abs(actual[k] - expected[k]) < 1e-9 for k in expected
    )


# With the mis-click counted: 2 customers of 3 leads, 5 000 of revenue; MQL and SQL reached by both.
MIS_CLICK_COUNTED = {
    "customers": 2,
    "lead_to_customer_rate": 2 / 3,
    "revenue": 5000.0,
    "mqls": 2,
    "sqls": 2,
    "mql_to_sql_rate": 1.0,
    "sql_to_customer_rate": 1.0,
}
# Without it: Bea is the one customer; Max reached MQL on the 26th, never SQL.
MIS_CLICK_VOIDED = {
    "customers": 1,
    "lead_to_customer_rate": 1 / 3,
    "revenue": 4000.0,
    "mqls": 2,
    "sqls": 1,
    "mql_to_sql_rate": 0.5,
    "sql_to_customer_rate": 1.0,
}


@pytest.mark.parametrize(
    ("kind", "expected"), [(MoveKind.CORRECTION, MIS_CLICK_VOIDED), (MoveKind.REGRESSION, MIS_CLICK_COUNTED)]
)
def test_kpi_report_recounts_without_a_corrected_reach_and_keeps_a_regressed_one(in_alpha, kind, expected):
    # given the January cohort with Max's mis-click, counted by the report
    max_ = cohort()
    assert close(reported(), MIS_CLICK_COUNTED)
    # when Max goes back to lead, then on to MQL, as a correction or as a regression
    back_then_mql(max_, kind)
    # then the report counts the corrected reaches no more, and the regressed ones still
    assert close(reported(), expected), reported()


@pytest.mark.parametrize(
    ("kind", "expected"), [(MoveKind.CORRECTION, MIS_CLICK_VOIDED), (MoveKind.REGRESSION, MIS_CLICK_COUNTED)]
)
def test_snapshots_follow_after_the_refresh(in_alpha, kind, expected):
    # given the cohort with the mis-click, refreshed in full
    max_ = cohort()
    kpi_snapshot_refresh(full=True, as_of=AS_OF)
    assert close(snapshots(), MIS_CLICK_COUNTED), snapshots()
    customer_day = Snapshot.objects.get(kpi="customers", period="day", dimension="", start=date(2026, 1, 25))
    assert customer_day.value == 1
    # when Max goes back (correction or regression) and on to MQL, and the next incremental refresh runs
    back_then_mql(max_, kind)
    incremental = kpi_snapshot_refresh(as_of=AS_OF)
    # then it recomputed the days a correction voided (a regression changes no reached date: nothing to do)
    assert (incremental.dirty_days > 0) == (kind == MoveKind.CORRECTION)
    # and the month's snapshots say what the report says
    assert close(snapshots(), expected), snapshots()
    customer_day.refresh_from_db()
    assert customer_day.value == (0 if kind == MoveKind.CORRECTION else 1)
    # and a full refresh finds nothing the incremental one missed
    full = kpi_snapshot_refresh(full=True, as_of=AS_OF)
    assert (full.measures_changed, full.snapshots_changed) == (0, 0)
