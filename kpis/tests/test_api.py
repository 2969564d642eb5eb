"""The KPI API (/c/<slug>/api/v1/kpis/…): snapshots, definitions, pacing, anomalies, refresh,
objectives and settings."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import tenant_context

from campaigns.tests.factories import builtin_channel
from conftest import GOLDEN_AS_OF
from kpis.models import Objective, Snapshot
from kpis.refresh import kpi_snapshot_refresh
from kpis.registry import DEFINITION_VERSION, REGISTRY
from leads.tests.factories import LeadFactory

PARIS = ZoneInfo("Europe/Paris")
AS_OF = GOLDEN_AS_OF
BASE = "/c/alpha/api/v1/kpis/"


def test_snapshots_of_a_range_equal_the_stored_rows(http_as, golden, in_alpha):
    response = http_as(golden.viewer_alpha).get(
        BASE, {"period": "month", "from": "2026-01-01", "to": "2026-03-31", "kpi": ["leads", "lead_to_mql_rate"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["as_of"].startswith("2026-04-14T22:00:00")
    rows = {(r["kpi"], r["start"]): r for r in body["results"]}
    assert set(rows) == {(k, f"2026-0{m}-01") for k in ("leads", "lead_to_mql_rate") for m in (1, 2, 3)}
    stored = Snapshot.objects.get(period="month", kpi="lead_to_mql_rate", dimension="", start="2026-02-01")
    february = rows[("lead_to_mql_rate", "2026-02-01")]
    assert (february["value"], february["numerator"], february["denominator"]) == (
        stored.value,
        stored.numerator,
        stored.denominator,
    )
    assert february["dimension"] is None and february["key"] is None and february["is_partial"] is False
    assert rows[("leads", "2026-02-01")]["previous_value"] == rows[("leads", "2026-01-01")]["value"]


def test_breakdown_rows_and_the_none_key(http_as, golden):
    client = http_as(golden.viewer_alpha)
    rows = client.get(
        BASE, {"period": "month", "from": "2026-01-01", "to": "2026-01-31", "kpi": "leads", "dimension": "channel"}
    ).json()["results"]
    assert {r["dimension"] for r in rows} == {"channel"}
    keys = {r["key"] for r in rows}
    assert "paid_search" in keys
    one = client.get(
        BASE,
        {
            "period": "month",
            "from": "2026-01-01",
            "to": "2026-01-31",
            "kpi": "leads",
            "dimension": "channel",
            "key": "paid_search",
        },
    ).json()["results"]
    assert [r["key"] for r in one] == ["paid_search"]


def test_pages_follow_each_other(http_as, golden):
    client = http_as(golden.viewer_alpha)
    first = client.get(BASE, {"period": "day", "from": "2026-01-01", "to": "2026-03-31", "kpi": "leads", "limit": 50})
    page = first.json()
    assert len(page["results"]) == 50 and page["next"]
    second = client.get(page["next"]).json()
    assert second["results"][0]["start"] > page["results"][-1]["start"]
    everything = client.get(BASE, {"period": "day", "from": "2026-01-01", "to": "2026-03-31", "kpi": "leads"}).json()
    assert everything["next"] is None and len(everything["results"]) == 90


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "year"}, "period"),
        ({"kpi": "nope"}, "kpi"),
        ({"from": "2026-03-01", "to": "2026-01-01"}, "date_from"),
        ({"from": "31/01/2026"}, "date_from"),
        ({"key": "paid_search"}, "key"),
        ({"dimension": "color"}, "dimension"),
        ({"limit": "0"}, "limit"),
    ],
)
def test_bad_parameters_are_400_with_the_field(http_as, golden, params, field):
    response = http_as(golden.viewer_alpha).get(BASE, params)
    assert response.status_code == 400
    assert field in response.json()


def test_one_query_reads_the_snapshots_whatever_the_range(http_as, golden):
    client = http_as(golden.viewer_alpha)
    client.get(BASE)  # the first request of a session also looks up the user's language

    def queries(params) -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(BASE, params).status_code == 200
        return [q["sql"] for q in captured]

    short = queries({"period": "day", "from": "2026-03-01", "to": "2026-03-07"})
    long = queries({"period": "day", "from": "2025-04-01", "to": "2026-03-31"})
    by_channel = queries({"period": "week", "from": "2025-04-01", "to": "2026-03-31", "dimension": "channel"})
    assert len(short) == len(long) == len(by_channel)
    assert sum('"kpis_snapshot"' in sql for sql in long) == 1


def test_definitions_speak_the_request_language(http_as, golden):
    client = http_as(golden.viewer_alpha)
    french = client.get(f"{BASE}definitions/", HTTP_ACCEPT_LANGUAGE="fr").json()
    assert len(french) == len(REGISTRY)
    leads = next(d for d in french if d["key"] == "leads")
    assert leads["name"] == "Leads générés" and leads["unit"] == "count" and leads["better"] == "up"
    assert "channel" in leads["dimensions"] and leads["version"] == DEFINITION_VERSION
    client.cookies["django_language"] = "en"
    english = {d["key"]: d for d in client.get(f"{BASE}definitions/").json()}
    assert english["leads"]["name"] == "Leads generated"
    assert english["cost_per_lead"]["formula"].startswith("Spend ÷ leads")


def test_anomalies_lists_only_flagged_rows(http_as, golden, in_alpha):
    rows = (
        http_as(golden.viewer_alpha)
        .get(f"{BASE}anomalies/", {"period": "day", "from": "2026-01-01", "to": "2026-04-15"})
        .json()["results"]
    )
    assert rows
    assert all(r["anomaly"]["direction"] in ("up", "down") for r in rows)
    assert all(r["anomaly"]["low"] <= r["anomaly"]["median"] <= r["anomaly"]["high"] for r in rows)
    flagged = Snapshot.objects.filter(period="day", dimension="", anomaly__isnull=False).count()
    assert len(rows) == flagged


# --- pacing --------------------------------------------------------------------------------------


@pytest.fixture
def june(world, in_alpha):
    """Paid-search leads in June 2026: 2 on the 1st, 12 on the 10th, 10 on the 20th, 6 on the 30th."""
    channel = builtin_channel("paid_search")
    for day, count in ((1, 2), (10, 12), (20, 10), (30, 6)):
        LeadFactory.create_batch(count, created_at=datetime(2026, 6, day, 9, tzinfo=PARIS), channel=channel)
    kpi_snapshot_refresh(full=True, as_of=datetime(2026, 7, 2, tzinfo=PARIS))
    return world


@pytest.mark.parametrize(
    ("day", "days", "actual", "pacing", "status"),
    [
        ("2026-06-01", 1, 2, 2.0, "green"),  # expected 7 × 1 ÷ 7 = 1
        ("2026-06-15", 15, 14, 14 / 15, "amber"),  # expected 15
        ("2026-06-30", 30, 30, 1.0, "green"),  # expected 30: exactly on target
    ],
)
def test_month_to_date_pacing_of_a_weekly_objective_per_channel(http_as, june, day, days, actual, pacing, status):
    manager = http_as(june.manager_alpha)
    created = manager.post(
        f"{BASE}objectives/",
        {"kpi": "leads", "period": "week", "dimension": "channel", "key": "paid_search", "target": "7"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.json()
    rows = http_as(june.viewer_alpha).get(f"{BASE}pacing/", {"date": day}).json()
    assert len(rows) == 1
    row = rows[0]
    assert (row["kpi"], row["dimension"], row["key"], row["month"]) == ("leads", "channel", "paid_search", "2026-06-01")
    assert (row["days"], row["expected"], row["actual"], row["status"]) == (days, days * 1.0, actual, status)
    assert row["pacing"] == pytest.approx(pacing, rel=1e-12)


def test_pacing_without_weekly_objectives_is_empty(http_as, june):
    assert http_as(june.viewer_alpha).get(f"{BASE}pacing/").json() == []


# --- writes --------------------------------------------------------------------------------------


def test_only_managers_queue_a_refresh(http_as, golden, django_capture_on_commit_callbacks):
    for user in (golden.viewer_alpha, golden.sales_alpha):
        assert http_as(user).post(f"{BASE}refresh/", {"full": True}).status_code == 403
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = http_as(golden.manager_alpha).post(f"{BASE}refresh/", {"full": True})
    assert response.status_code == 202 and response.json() == {"full": True, "awaiting_queue": False}
    assert len(callbacks) == 1


def test_objectives_crud_applies_targets_to_snapshots(http_as, golden, in_alpha):
    manager = http_as(golden.manager_alpha)
    body = {"kpi": "leads", "period": "month", "target": "40"}
    created = manager.post(f"{BASE}objectives/", body, content_type="application/json")
    assert created.status_code == 201
    objective = created.json()
    assert (objective["dimension"], objective["key"], objective["target"]) == ("", "", 40.0)
    rows = manager.get(BASE, {"period": "month", "kpi": "leads", "from": "2026-01-01", "to": "2026-03-31"}).json()
    assert {r["target"] for r in rows["results"]} == {40.0}
    assert all(r["status"] in ("green", "amber", "red") for r in rows["results"])
    # duplicates and nonsense are refused with the field
    duplicate = manager.post(f"{BASE}objectives/", body, content_type="application/json")
    assert duplicate.status_code == 400 and "kpi" in duplicate.json()
    wrong = manager.post(
        f"{BASE}objectives/", {**body, "dimension": "keyword", "key": "x"}, content_type="application/json"
    )
    assert wrong.status_code == 400 and "dimension" in wrong.json()
    negative = manager.post(f"{BASE}objectives/", {**body, "target": "-1"}, content_type="application/json")
    assert negative.status_code == 400 and "target" in negative.json()
    # change and delete
    url = f"{BASE}objectives/{objective['id']}/"
    assert manager.patch(url, {"target": "1"}, content_type="application/json").json()["target"] == 1.0
    rows = Snapshot.objects.filter(kpi="leads", period="month", dimension="", start__lt="2026-04-01")
    statuses = set(rows.values_list("status", flat=True))
    assert statuses == {"green"}  # January to March: at least 1 lead each
    assert manager.delete(url).status_code == 204
    assert not Objective.objects.exists()
    assert not Snapshot.objects.filter(target__isnull=False).exists()


def test_viewers_and_sales_read_objectives_but_never_write_them(http_as, golden):
    for user in (golden.viewer_alpha, golden.sales_alpha):
        client = http_as(user)
        assert client.get(f"{BASE}objectives/").status_code == 200
        body = {"kpi": "leads", "period": "month", "target": "40"}
        assert client.post(f"{BASE}objectives/", body, content_type="application/json").status_code == 403
        assert (
            client.put(f"{BASE}settings/", {"amber_ratio": "0.8"}, content_type="application/json").status_code == 403
        )


def test_the_amber_threshold_is_a_client_setting(http_as, golden):
    manager = http_as(golden.manager_alpha)
    assert manager.get(f"{BASE}settings/").json() == {"amber_ratio": 0.9}
    assert manager.put(f"{BASE}settings/", {"amber_ratio": "0.75"}, content_type="application/json").json() == {
        "amber_ratio": 0.75
    }
    refused = manager.put(f"{BASE}settings/", {"amber_ratio": "1.5"}, content_type="application/json")
    assert refused.status_code == 400 and "amber_ratio" in refused.json()


def test_the_portfolio_shows_the_clients_a_user_may_see(http_as, golden, in_alpha):
    # beta, the other client the owner sees, is refreshed in its own schema; the test stays in alpha
    with tenant_context(golden.beta):
        kpi_snapshot_refresh(full=True, as_of=AS_OF + timedelta(days=1))
    rows = http_as(golden.owner).get("/api/v1/portfolio/").json()["results"]
    slugs = [r["slug"] for r in rows]
    assert set(slugs) == {"alpha", "beta"}
    alpha = next(r for r in rows if r["slug"] == "alpha")
    assert alpha["url"] == "/c/alpha/" and alpha["currency"] == "EUR"
    months = list(
        Snapshot.objects.filter(period="month", kpi="leads", dimension="")
        .order_by("start")
        .values_list("value", flat=True)
    )
    assert alpha["kpis"]["leads"]["months"] == months and len(months) == 4  # January to April 2026
    assert alpha["kpis"]["leads"]["value"] == months[-2] and alpha["month"] == "2026-03-01"  # April is in progress
    assert http_as(golden.viewer_alpha).get("/api/v1/portfolio/").json()["results"][0]["slug"] == "alpha"
    assert [r["slug"] for r in http_as(golden.viewer_beta).get("/api/v1/portfolio/").json()["results"]] == ["beta"]
    assert http_as(golden.outsider).get("/api/v1/portfolio/").json()["results"] == []
    assert http_as(None).get("/api/v1/portfolio/").status_code in (401, 403)
