"""A second `make demo` on a later day catches up (issue 14): the facts of the days since the first
seed, on the same plan, up to the new moment and none after; a third at that moment adds nothing."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db.models import Sum, Value
from django.db.models.functions import Concat
from django_tenants.utils import tenant_context

from annotations.models import Annotation
from campaigns.models import CTAStat, EmailSend, FactSource, KeywordStat, MetricValue, Spend, TrackingEvent, Traffic
from demo.seed import demo_accounts_seed
from kpis.models import CustomKPI, Objective, Snapshot
from leads.demo import lead_plan
from leads.models import Lead
from tenants.models import Client

PARIS = ZoneInfo("Europe/Paris")
# A first seed late in November, the second a week later, in December: the catch-up crosses a month.
FIRST = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
LATER = FIRST + timedelta(days=7)
MONTHS = 2  # enough for the catch-up, and quick


def _counts() -> dict:
    return {
        model.__name__: model.objects.count()
        for model in (
            Lead,
            Traffic,
            Spend,
            CTAStat,
            KeywordStat,
            EmailSend,
            TrackingEvent,
            MetricValue,
            Annotation,
            CustomKPI,
            Objective,
        )
    } | {"visits": Traffic.objects.aggregate(total=Sum("visits"))["total"]}


def _day_visits(day: date, **filters) -> int:
    return Traffic.objects.filter(date=day, **filters).aggregate(total=Sum("visits"))["total"] or 0


def _visit_events(day: date) -> int:
    start = datetime(day.year, day.month, day.day, tzinfo=PARIS)
    return TrackingEvent.objects.filter(
        type=TrackingEvent.Type.VISIT, occurred_at__gte=start, occurred_at__lt=start + timedelta(days=1)
    ).count()


def _snapshot(kpi: str, day: date) -> float:
    return Snapshot.objects.get(kpi=kpi, period="day", start=day, dimension="", key="").value


def test_the_day_of_the_seed_is_tracked_by_the_snippet_and_counted_once(db):
    demo_accounts_seed(now=FIRST, months=MONTHS)
    with tenant_context(Client.objects.get(slug="atelier-sillon")):
        today = date(2026, 11, 24)
        events = TrackingEvent.objects.all()
        assert 300 < events.count() < 3000  # a believable day so far, bounded
        assert not events.filter(occurred_at__gte=FIRST).exists()
        assert not events.filter(processed=False).exists()  # rolled up, as the worker would
        assert events.filter(occurred_at__gte=FIRST - timedelta(minutes=30)).exists()  # up to the moment
        assert events.filter(type=TrackingEvent.Type.CTA_CLICK).exists()
        # Today's traffic is the snippet's only, and the KPI counts each visit event once.
        assert not Traffic.objects.filter(date=today, source=FactSource.IMPORT).exists()
        assert _day_visits(today) == _visit_events(today) > 200
        assert _snapshot("visits", today) == _visit_events(today)
        assert _day_visits(today - timedelta(days=1), source=FactSource.TRACKING) == 0


def test_a_later_seed_catches_up_and_a_repeat_adds_nothing(db):
    demo_accounts_seed(now=FIRST, months=MONTHS)
    client = Client.objects.get(slug="maison-lumiere")
    with tenant_context(client):
        assert Traffic.objects.latest("date").date == date(2026, 11, 24)
        first_visits = _day_visits(date(2026, 11, 24))
        leads_before = Lead.objects.count()
        states_before = list(Lead.objects.order_by("created_at").values_list("stage", "is_lost"))
        first_mentions = MetricValue.objects.get(metric="mentions", date=date(2026, 11, 24)).value
        set_up = {model: model.objects.count() for model in (Annotation, CustomKPI, Objective)}
        assert all(set_up.values()), set_up

    demo_accounts_seed(now=LATER, months=MONTHS)
    with tenant_context(client):
        days = [date(2026, 11, 24) + timedelta(days=n) for n in range(8)]
        for model in (Traffic, Spend, CTAStat):
            assert sorted(set(model.objects.filter(date__gte=days[0]).values_list("date", flat=True))) == days, model
        # The mentions caught up too, a day each, the first seed's day (imported in part) now whole;
        # the notes, custom KPIs and objectives the client's people set up are not made twice.
        mentions = MetricValue.objects.filter(metric="mentions", date__gte=days[0]).order_by("date")
        assert list(mentions.values_list("date", flat=True)) == days
        assert mentions.first().value > first_mentions * Decimal("1.3")
        assert {model: model.objects.count() for model in set_up} == set_up
        assert _snapshot("mentions_1000_visites", days[-1]) is not None
        # The first seed's day was tracked in part (up to 16:00 in Paris): the rest is imported, the
        # snippet's part counted once (the KPI: both parts; the tracked part: still its events).
        assert _day_visits(days[0], source=FactSource.TRACKING) == first_visits == _visit_events(days[0])
        assert _day_visits(days[0]) > first_visits * 1.3
        assert _snapshot("visits", days[0]) == _day_visits(days[0])
        assert _snapshot("visits", days[-1]) == _day_visits(days[-1]) == _visit_events(days[-1])
        for day in days[1:-1]:
            assert _day_visits(day, source=FactSource.TRACKING) == 0 < _day_visits(day)
        # Newsletters go out on the 6th and the 20th: the 20 November one, seeded first, is not sent twice.
        assert EmailSend.objects.filter(key="newsletter-2026-11-20").count() == 1
        # The new leads are the plan's (anchored on the first seed's month) between the two moments.
        plan = lead_plan(
            slug="maison-lumiere", time_zone=client.time_zone, months=MONTHS, now=LATER, anchor=date(2026, 11, 1)
        )
        expected = [p.created_at for p in plan if p.created_at > FIRST - timedelta(hours=2)]
        added = list(
            Lead.objects.filter(created_at__gt=FIRST - timedelta(hours=2))
            .order_by("created_at")
            .values_list("created_at", flat=True)
        )
        assert added == expected and len(added) > 30
        assert Lead.objects.count() == leads_before + sum(1 for p in plan if p.created_at > FIRST)
        assert not Lead.objects.filter(created_at__gte=LATER).exists()
        assert Lead.objects.filter(created_at__gte=datetime(2026, 12, 1, tzinfo=PARIS)).exists()
        # Every plan lead made before the first moment is still the same one (the plan's prefix holds).
        assert list(
            Lead.objects.filter(created_at__lte=FIRST).order_by("created_at").values_list("created_at", flat=True)
        ) == [p.created_at for p in plan if p.created_at <= FIRST]
        # The leads of the days before the first moment moved on as the plan has them now.
        assert [(p.stage, p.lost_at is not None) for p in plan if p.created_at <= FIRST] == list(
            Lead.objects.filter(created_at__lte=FIRST).order_by("created_at").values_list("stage", "is_lost")
        )
        states = list(Lead.objects.filter(created_at__lte=FIRST).order_by("created_at").values_list("stage", "is_lost"))
        assert sum(a != b for a, b in zip(states, states_before, strict=True)) >= 5
        # The KPIs caught up: December's leads so far, as the snapshots count them.
        december = Lead.objects.filter(created_at__gte=datetime(2026, 12, 1, tzinfo=PARIS)).count()
        snapshot = Snapshot.objects.get(kpi="leads", period="month", start=date(2026, 12, 1), dimension="", key="")
        assert snapshot.value == december > 0
        counts = _counts()

    demo_accounts_seed(now=LATER, months=MONTHS)
    with tenant_context(client):
        assert _counts() == counts


def test_a_catch_up_over_leads_of_an_earlier_plan_adds_only_the_later_ones(db):
    """Leads seeded before their details were drawn one generator per lead have none of the plan's
    emails: the catch-up adds the plan's leads after the latest one, none twice."""
    demo_accounts_seed(now=FIRST, months=MONTHS)
    client = Client.objects.get(slug="velo-nord")
    with tenant_context(client):
        Lead.objects.update(email=Concat(Value("ancien-"), "email"))
        last = Lead.objects.latest("created_at").created_at
        before = Lead.objects.count()
    demo_accounts_seed(now=LATER, months=MONTHS)
    with tenant_context(client):
        plan = lead_plan(
            slug="velo-nord", time_zone=client.time_zone, months=MONTHS, now=LATER, anchor=date(2026, 11, 1)
        )
        assert Lead.objects.count() == before + sum(1 for p in plan if p.created_at > last) > before
