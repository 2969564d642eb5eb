"""The demo looks like an agency's month on any day it is seeded (issue 14): one healthy client,
one mixed, one in trouble, as the product's own statuses, pacing, anomalies and portfolio show
them; every fact up to the moment of the seed and none after it."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from annotations.models import Annotation
from annotations.selectors import annotation_explaining, annotations_between
from campaigns.demo import month_starts
from campaigns.models import KeywordStat, MetricValue, Traffic
from demo.seed import demo_accounts_seed
from kpis.demo import DEMO_OBJECTIVES
from kpis.models import CustomKPI, Snapshot
from kpis.pacing import pacing_compute
from kpis.periods import period_floor, period_shift
from leads.demo import lead_plan
from leads.models import Lead, Stage
from portfolio.selectors import portfolio_for
from tenants.models import User

PARIS = ZoneInfo("Europe/Paris")


def _month_total(kpi: str, month: date, dimension: str = "", key: str = "") -> float | None:
    row = Snapshot.objects.filter(kpi=kpi, period="month", start=month, dimension=dimension, key=key).first()
    return None if row is None else row.value


# A moment the demo was seen at (2 December, evening in Paris), fixed so the attention filter's answer
# does not hang on the day the suite runs: a chance anomaly on a recent day of a healthy client may flag
# it on some dates (the product's rule), which the test at the real moment above leaves unasserted.
SEEN_AT = datetime(2026, 12, 2, 22, 45, tzinfo=ZoneInfo("UTC"))


def test_the_attention_filter_keeps_one_or_two_clients_not_the_healthy_one(db):
    demo_accounts_seed(now=SEEN_AT)
    owner = User.objects.get(email="direction@agence-demo.fr")
    everyone = [row.access.client.slug for row in portfolio_for(owner)]
    attention = [row.access.client.slug for row in portfolio_for(owner, attention_only=True)]
    assert len(everyone) == 3
    assert 1 <= len(attention) <= 2, attention
    assert "velo-nord" in attention and "maison-lumiere" not in attention


def test_the_demo_portfolio_shows_a_healthy_a_mixed_and_a_troubled_client(db):
    now = timezone.now()
    demo_accounts_seed(now=now)
    owner = User.objects.get(email="direction@agence-demo.fr")
    rows = {row.access.client.slug: row for row in portfolio_for(owner)}

    statuses = {
        slug: {kpi: row.reported(kpi).status for kpi in ("leads", "mqls", "cost_per_lead", "lead_to_customer_rate")}
        for slug, row in rows.items()
    }
    # Maison Lumière: every headline green, on pace, nothing red.
    assert set(statuses["maison-lumiere"].values()) == {"green"}, statuses
    assert rows["maison-lumiere"].pulse.pacing_status == "green"
    assert rows["maison-lumiere"].pulse.red == 0
    # Atelier Sillon: mixed, amber on its cost per lead, on pace, nothing red.
    assert statuses["atelier-sillon"]["cost_per_lead"] == "amber"
    assert "red" not in statuses["atelier-sillon"].values()
    assert rows["atelier-sillon"].pulse.pacing_status == "green"
    assert rows["atelier-sillon"].pulse.red == 0
    # Vélo Nord: red on cost per lead, behind its month-to-date pace.
    assert statuses["velo-nord"]["cost_per_lead"] == "red"
    assert rows["velo-nord"].pulse.pacing_status == "red"
    assert rows["velo-nord"].pulse.pacing < 0.9
    assert len({tuple(sorted(s.items())) for s in statuses.values()}) == 3  # three different pictures
    # The attention filter keeps the client in trouble. (The healthy one has no red; on some days a
    # headline total of a recent day or week still trips the anomaly rule by chance, so whether it
    # is kept too depends on the date: not asserted.)
    attention = [row.access.client.slug for row in portfolio_for(owner, attention_only=True)]
    assert "velo-nord" in attention

    for client in (row.access.client for row in rows.values()):
        local = now.astimezone(ZoneInfo(client.time_zone)).date()
        month = period_floor(local, "month")
        last_month = period_shift(month, "month", -1)
        with tenant_context(client):
            # Facts up to now, none after it, and leads from the current month's first hours.
            assert not Lead.objects.filter(created_at__gt=now).exists(), client.slug
            assert Lead.objects.filter(
                created_at__gte=datetime.combine(month, datetime.min.time(), tzinfo=PARIS)
            ).exists()
            assert (rows[client.slug].latest("leads").value or 0) > 0, client.slug
            assert not Traffic.objects.filter(date__gt=local).exists()
            # The twelve calendar months before this one, each with leads.
            for start in month_starts(local, 13)[:-1]:
                assert _month_total("leads", start) > 0, (client.slug, start)
            # Customers and deal values for everyone; ROI and cost per lead where businesses have them.
            assert _month_total("customers", last_month) >= 1, client.slug
            assert _month_total("revenue", last_month) > 0, client.slug
            assert Lead.objects.filter(stage=Stage.CUSTOMER, deal_value__gt=Decimal(0)).count() >= 12
            roi = _month_total("roi", last_month)
            assert -0.6 < roi < 4.0, (client.slug, roi)
            assert 20 <= _month_total("cost_per_lead", last_month) <= 120, client.slug
            # Landing pages and keywords each with their own traffic, not a uniform split.
            pages = Snapshot.objects.filter(kpi="visits", period="month", start=last_month, dimension="landing_page")
            assert len(pages) >= 4 and len({p.value for p in pages}) == len(pages), client.slug
            keywords = KeywordStat.objects.filter(date__gte=last_month, date__lt=month).values_list("keyword", "visits")
            per_keyword = Counter()
            for keyword, visits in keywords:
                per_keyword[keyword] += visits
            assert len(set(per_keyword.values())) == len(per_keyword) >= 10, client.slug
            rising = Snapshot.objects.get(
                kpi="keyword_visits", period="month", start=last_month, dimension="keyword", key="seo b2b"
            )
            # Atelier Sillon's one clear anomaly: a keyword that took off last month.
            assert (rising.anomaly == "up") is (client.slug == "atelier-sillon"), client.slug
            if rising.anomaly:  # …which its notes explain
                notes = annotations_between(first=last_month, last=month - timedelta(days=1))
                explanation = annotation_explaining(
                    notes, first=last_month, last=month - timedelta(days=1), dimension="keyword", key="seo b2b"
                )
                assert explanation is not None and "SEO B2B" in explanation.text
            _assert_set_up_by_the_agency(client.slug, local, month)
    roi = dict.fromkeys(rows)
    for slug, row in rows.items():
        with tenant_context(row.access.client):
            roi[slug] = _month_total(
                "roi", period_shift(period_floor(now.astimezone(PARIS).date(), "month"), "month", -1)
            )
    assert roi["velo-nord"] < 0.5 < roi["maison-lumiere"]  # the trouble shows in the money too


def _assert_set_up_by_the_agency(slug: str, local: date, month: date) -> None:
    """What the client's people brought in and set up: the daily social mentions up to today (a
    day each, since the first seeded day), custom KPIs with this month's snapshots, an objective's
    status on one, and notes of their own within the charts' twelve months."""
    first = month_starts(local, 13)[0]
    mentions = MetricValue.objects.filter(metric="mentions", key="")
    assert list(mentions.order_by("date").values_list("date", flat=True)) == [
        first + timedelta(days=n) for n in range((local - first).days + 1)
    ], slug
    year_ago, last_month = period_shift(month, "month", -12), period_shift(month, "month", -1)

    def month_mentions(start: date) -> Decimal:
        days = mentions.filter(date__gte=start, date__lt=period_shift(start, "month", 1))
        return sum(days.values_list("value", flat=True), Decimal(0))

    growth = month_mentions(last_month) / month_mentions(max(year_ago, first))
    if slug == "maison-lumiere":  # talked about more and more; Vélo Nord less and less
        assert growth > Decimal("1.2"), growth
    if slug == "velo-nord":
        assert growth < Decimal("0.8"), growth
    customs = list(CustomKPI.objects.values_list("key", flat=True))
    assert customs, slug
    for key in customs:
        assert Snapshot.objects.filter(kpi=key, period="month", start=month, dimension="", key="").exists(), key
    if slug == "maison-lumiere":
        row = Snapshot.objects.get(kpi="mentions_1000_visites", period="month", start=last_month, dimension="")
        assert row.status == "green", row.value
    notes = list(Annotation.objects.all())
    assert 2 <= len(notes) <= 3 and all(note.author_id for note in notes), slug
    assert all(period_shift(month, "month", -11) <= note.start <= local for note in notes), slug


# The seed is relative to now: the first minutes of a month, its last evening, a leap day, the DST
# change, a 30- and a 31-day month.
NOWS = [
    datetime(2026, 3, 1, 0, 30, tzinfo=PARIS),
    datetime(2026, 1, 31, 23, 59, tzinfo=PARIS),
    datetime(2028, 2, 29, 12, 0, tzinfo=PARIS),
    datetime(2026, 3, 29, 3, 10, tzinfo=PARIS),
    datetime(2026, 11, 30, 18, 0, tzinfo=PARIS),
    datetime(2026, 12, 1, 0, 5, tzinfo=PARIS),
]


@pytest.mark.parametrize("now", NOWS, ids=lambda now: f"{now:%Y-%m-%d %H:%M}")
@pytest.mark.parametrize("slug", list(DEMO_OBJECTIVES))
def test_leads_fill_every_calendar_month_up_to_now_and_none_after(slug, now):
    plan = lead_plan(slug=slug, time_zone="Europe/Paris", months=13, now=now)
    local_days = Counter(lead.created_at.astimezone(PARIS).date() for lead in plan)
    starts = month_starts(now.date(), 13)
    assert max(lead.created_at for lead in plan) < now
    assert min(local_days) == starts[0]  # the first seeded month is the right calendar month
    assert sum(n for day, n in local_days.items() if day >= starts[-1]) >= 1  # the current month has begun
    for start in starts[:-1]:  # every day of every complete month has leads
        day = start
        while day < starts[starts.index(start) + 1]:
            assert local_days[day] >= 1, (slug, day)
            day += timedelta(days=1)
    for lead in plan:
        for stage_at in filter(None, lead.reached.values()):
            assert lead.created_at <= stage_at < now


@pytest.mark.parametrize("month", [date(2026, 2, 1), date(2026, 3, 1), date(2026, 12, 1), date(2027, 1, 1)])
def test_month_to_date_pacing_holds_its_shape_through_the_month(month):
    """On pace (green) at every hour of the month for the healthy and the mixed client, from the
    first half hour of the 1st; behind (red) all month for the client in trouble."""
    start = datetime.combine(month, datetime.min.time(), tzinfo=PARIS)
    end = datetime.combine(period_shift(month, "month", 1), datetime.min.time(), tzinfo=PARIS)
    expected = {"maison-lumiere": "green", "atelier-sillon": "green", "velo-nord": "red"}
    for slug, objectives in DEMO_OBJECTIVES.items():
        weekly = [(key, Decimal(target)) for kpi, period, _, key, target in objectives if period == "week"]
        instant = start + timedelta(minutes=30)
        while instant < end:
            plan = lead_plan(slug=slug, time_zone="Europe/Paris", months=2, now=instant)
            for key, target in weekly:
                by_day = Counter(
                    lead.created_at.astimezone(PARIS).date()
                    for lead in plan
                    if lead.channel == key and lead.created_at < instant
                )
                pacing = pacing_compute(weekly_target=target, as_of_local=instant.date(), actual_by_day=by_day)
                assert pacing.status == expected[slug], (slug, key, instant, pacing)
            instant += timedelta(hours=5)
