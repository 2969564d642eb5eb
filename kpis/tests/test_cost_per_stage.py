"""Cost per MQL, per SQL and per customer (docs/kpis.md §4.2) everywhere KPIs go: snapshots after a
full and an incremental refresh (checked against spend and stage reaches summed here, independently
of the engine), the API's snapshots, definitions and anomalies, objectives (API and client admin)
with their status judged with better = down."""

from collections import defaultdict
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import F

from campaigns.models import Campaign, Spend
from campaigns.tests.factories import CampaignFactory, SpendFactory, builtin_channel
from conftest import GOLDEN_AS_OF
from kpis.models import Objective, Snapshot
from kpis.refresh import kpi_snapshot_refresh
from kpis.registry import KPIS, Better
from leads.models import Lead, Stage
from leads.services import lead_move_stage
from leads.tests.factories import LeadFactory

PARIS = ZoneInfo("Europe/Paris")
BASE = "/c/alpha/api/v1/kpis/"
ADMIN = "/c/alpha/admin/kpis/"
STAGES = {"cost_per_mql": "mql_at", "cost_per_sql": "sql_at", "cost_per_customer": "customer_at"}
MONTHS = (date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1))


def _month(day: date) -> date:
    return day.replace(day=1)


def _expected(kpi: str) -> dict[tuple[str, str, date], float | None]:
    """spend ÷ stage reaches per (dimension, key, month), summed from the facts (the golden data lie
    before the as-of: no cut). A lead's channel and campaign are its own; spend's, its campaign's."""
    spend: dict[tuple[str, str, date], Decimal] = defaultdict(Decimal)
    for row in Spend.objects.select_related("campaign__channel"):
        month = _month(row.date)
        spend[("", "", month)] += row.amount
        spend[("channel", row.campaign.channel.key, month)] += row.amount
        spend[("campaign", row.campaign.key, month)] += row.amount
    reached: dict[tuple[str, str, date], int] = defaultdict(int)
    for lead in Lead.objects.select_related("channel", "campaign").exclude(**{f"{STAGES[kpi]}__isnull": True}):
        month = _month(getattr(lead, STAGES[kpi]).astimezone(PARIS).date())
        reached[("", "", month)] += 1
        reached[("channel", lead.channel.key if lead.channel else "", month)] += 1
        reached[("campaign", lead.campaign.key if lead.campaign else "", month)] += 1
    cells = {cell for cell in set(spend) | set(reached) if cell[2] in MONTHS}
    return {cell: float(spend[cell]) / reached[cell] if reached[cell] else None for cell in cells}


def _stored(kpi: str) -> dict[tuple[str, str, date], float | None]:
    rows = Snapshot.objects.filter(period="month", kpi=kpi, start__in=MONTHS, dimension__in=("", "channel", "campaign"))
    return {(r.dimension, r.key, r.start): r.value for r in rows}


@pytest.mark.parametrize("kpi", list(STAGES))
def test_a_full_refresh_divides_spend_by_stage_reaches_by_channel_and_campaign(golden, in_alpha, kpi):
    expected, stored = _expected(kpi), _stored(kpi)

    assert any(v for (d, _k, _s), v in expected.items() if d == "campaign")  # the example has such costs
    for cell, value in expected.items():
        assert stored.get(cell) == (None if value is None else pytest.approx(value, rel=1e-9)), cell
    # no snapshot without facts behind it (a missing row reads as null)
    assert {cell for cell, v in stored.items() if v is not None} <= set(expected)


def test_an_incremental_refresh_follows_new_spend_and_a_new_customer(golden, in_alpha):
    # given 100 € more spent on LinkedIn ads on 10 March and one more March customer on that campaign
    campaign = Campaign.objects.get(key="linkedin-ads")
    spent = Spend.objects.filter(campaign=campaign, date=date(2026, 3, 10)).update(amount=F("amount") + 100)
    assert spent == 1
    lead = Lead.objects.filter(campaign=campaign, customer_at__isnull=True, sql_at__isnull=False).first()
    assert lead is not None
    lead_move_stage(lead=lead, to=Stage.CUSTOMER, at=datetime(2026, 3, 11, 10, tzinfo=PARIS))

    # when the next refresh runs incrementally
    kpi_snapshot_refresh(full=False, as_of=GOLDEN_AS_OF)

    # then March's costs follow the facts, and a full refresh gives the same rows
    incremental = {kpi: _stored(kpi) for kpi in STAGES}
    march = [("", "", MONTHS[2]), ("campaign", "linkedin-ads", MONTHS[2]), ("channel", "paid_social", MONTHS[2])]
    for kpi in STAGES:
        expected = _expected(kpi)
        for cell in march:
            value = expected[cell]
            assert incremental[kpi].get(cell) == (None if value is None else pytest.approx(value, rel=1e-9)), cell
    kpi_snapshot_refresh(full=True, as_of=GOLDEN_AS_OF)
    assert {kpi: _stored(kpi) for kpi in STAGES} == incremental


def test_a_cost_that_jumps_is_flagged_as_bad_news(in_alpha):
    # given nine days of paid-search spend around 100 € for 2 MQLs a day, then a day of 1 000 €
    campaign = CampaignFactory(channel=builtin_channel("paid_search"))
    amounts = [100, 110, 90, 100, 110, 90, 100, 110, 90, 1000]
    for day, amount in enumerate(amounts, start=1):
        SpendFactory(campaign=campaign, date=date(2026, 5, day), amount=Decimal(amount))
        for _ in range(2):
            LeadFactory(
                campaign=campaign,
                created_at=datetime(2026, 5, day, 9, tzinfo=PARIS),
                mql_at=datetime(2026, 5, day, 10, tzinfo=PARIS),
            )

    kpi_snapshot_refresh(full=True, as_of=datetime(2026, 5, 11, 12, tzinfo=PARIS))

    # then the tenth day's cost per MQL (500 € against a median of 50 €) is flagged up, and the API lists it
    jump = Snapshot.objects.get(period="day", kpi="cost_per_mql", dimension="", start=date(2026, 5, 10))
    assert jump.value == 500 and jump.anomaly == "up" and jump.baseline_median == 50
    assert KPIS["cost_per_mql"].better == Better.DOWN  # so the dashboards show this jump as bad news
    steady = Snapshot.objects.filter(period="day", kpi="cost_per_mql", start__lt=date(2026, 5, 10))
    assert not steady.filter(anomaly__isnull=False).exists()


def test_the_api_serves_their_snapshots_definitions_and_anomalies(http_as, golden, in_alpha):
    client = http_as(golden.viewer_alpha)
    params = {"period": "month", "from": "2026-01-01", "to": "2026-03-31", "dimension": "campaign"}
    rows = client.get(BASE, params | {"kpi": list(STAGES)}).json()["results"]
    served = {(r["kpi"], r["key"] or "", date.fromisoformat(r["start"])): r["value"] for r in rows}
    stored = {(k, key, s): v for k in STAGES for (d, key, s), v in _stored(k).items() if d == "campaign"}
    assert served == stored and len(served) > 6

    french = {d["key"]: d for d in client.get(f"{BASE}definitions/", HTTP_ACCEPT_LANGUAGE="fr").json()}
    names = {k: french[k]["name"] for k in STAGES}
    assert names == {
        "cost_per_mql": "Coût par MQL",
        "cost_per_sql": "Coût par SQL",
        "cost_per_customer": "Coût d'acquisition client",
    }
    for kpi in STAGES:
        assert (french[kpi]["unit"], french[kpi]["better"], french[kpi]["dimensions"]) == (
            "money",
            "down",
            ["channel", "campaign"],
        )

    flagged = client.get(f"{BASE}anomalies/", {"period": "day", "from": "2026-01-01", "to": "2026-04-15"})
    listed = {(r["kpi"], r["start"]) for r in flagged.json()["results"] if r["kpi"] in STAGES}
    anomalies = Snapshot.objects.filter(period="day", dimension="", kpi__in=list(STAGES), anomaly__isnull=False)
    assert listed == {(a.kpi, a.start.isoformat()) for a in anomalies}


@pytest.mark.parametrize(("ratio", "status"), [(1.01, "green"), (0.95, "amber"), (0.5, "red")])
def test_an_objective_is_a_money_target_judged_with_better_down(http_as, golden, in_alpha, ratio, status):
    # the target as a share of March's cost per customer: under the target green, 5 % over amber, twice red
    march = Snapshot.objects.get(period="month", kpi="cost_per_customer", dimension="", start=MONTHS[2])
    target = round(march.value * ratio, 2)
    manager = http_as(golden.manager_alpha)

    created = manager.post(
        f"{BASE}objectives/",
        {"kpi": "cost_per_customer", "period": "month", "target": str(target)},
        content_type="application/json",
    )

    assert created.status_code == 201, created.content
    row = manager.get(BASE, {"period": "month", "kpi": "cost_per_customer", "from": "2026-03-01", "to": "2026-03-01"})
    (served,) = row.json()["results"]
    expected = "green" if march.value <= target else ("amber" if target / march.value >= 0.9 else "red")
    assert served["target"] == target and served["status"] == expected == status


def test_an_objective_by_channel_and_the_refusals(http_as, golden, in_alpha):
    manager = http_as(golden.manager_alpha)
    body = {"kpi": "cost_per_mql", "period": "month", "dimension": "channel", "key": "paid_social", "target": "10"}
    assert manager.post(f"{BASE}objectives/", body, content_type="application/json").status_code == 201
    social = Snapshot.objects.get(
        period="month", kpi="cost_per_mql", dimension="channel", key="paid_social", start=MONTHS[2]
    )
    assert social.target == 10 and social.status == ("green" if social.value <= 10 else "red")
    # a cost per stage does not split by offer; a cost is never negative
    by_offer = manager.post(
        f"{BASE}objectives/", body | {"dimension": "offer", "key": "demo"}, content_type="application/json"
    )
    assert by_offer.status_code == 400 and "dimension" in by_offer.json()
    negative = manager.post(
        f"{BASE}objectives/", body | {"kpi": "cost_per_sql", "target": "-5"}, content_type="application/json"
    )
    assert negative.status_code == 400 and "target" in negative.json()


def test_the_client_admin_takes_a_money_target_the_french_way(http_as, golden, in_alpha):
    admin = http_as(golden.manager_alpha)
    admin.cookies["django_language"] = "fr"

    response = admin.post(
        f"{ADMIN}objective/add/",
        {"kpi": "cost_per_sql", "period": "month", "dimension": "", "key": "", "target": "1 234,56"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    objective = Objective.objects.get()
    assert objective.target == Decimal("1234.56")
    assert set(
        Snapshot.objects.filter(kpi="cost_per_sql", period="month", dimension="").values_list("target", flat=True)
    ) == {1234.56}
    march = Snapshot.objects.get(kpi="cost_per_sql", period="month", dimension="", start=MONTHS[2])
    assert march.status == ("green" if march.value <= 1234.56 else "amber" if 1234.56 / march.value >= 0.9 else "red")
