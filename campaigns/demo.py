"""The marketing facts of the demo clients over the current month and the twelve before it (the
portfolio's thirteen months), up to the moment the seed runs: spend, traffic, CTAs, keywords, email
sends, and today's tracking snippet events; a later seed catches up to its own moment.

Each client has a shape (``maison-lumiere`` healthy, ``atelier-sillon`` mixed, ``velo-nord`` in
trouble) that its statuses, pacing and anomalies must show on any day of the month (docs/kpis.md
§5–§6). Deterministic (seeded by the slug) but relative to ``now``: calendar months are counted
back from the current one, and today's facts stop at ``now``.

The variations are not random noise. The anomaly rule flags a value beyond median ± 3 × 1.4826 ×
MAD of the previous 8 periods, which independent noise of any size trips in about one series in
twenty; a client has hundreds of series, so a healthy demo client would always show "anomalies".
Variations are slow waves instead (``Rhythm``): a value never lies far outside the spread of the
ones before it.
The one anomaly the demo shows (Atelier Sillon's keyword) is made on purpose.
"""

from __future__ import annotations

import calendar
import math
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone

from campaigns.imports.kinds import KINDS, Context
from campaigns.landing_pages import page_path
from campaigns.models import (
    CTA,
    Campaign,
    Channel,
    CTAStat,
    EmailSend,
    FactSource,
    KeywordStat,
    LandingPage,
    MetricValue,
    Spend,
    TrackingEvent,
    Traffic,
)
from campaigns.rules import metric_name_normalised, metric_value_checked
from campaigns.tracking_rollup import tracking_rollup

# Periods of the variations, in months, days and days: none divides another, so they never line up.
MONTH_PERIOD, WEEK_PERIOD, DAY_PERIOD = 4.7, 37.3, 3.7
# The step of a Weyl sequence (golden ratio conjugate): consecutive values spread evenly over [-1, 1].
EVEN_STEP = 0.6180339887498949


def weyl(n: int, step: float, offset: float) -> float:
    """The n-th value of a Weyl sequence, in [-1, 1]."""
    return 2 * ((n * step + offset) % 1.0) - 1


def month_add(month: date, count: int) -> date:
    """The first of the month ``count`` months after (or before) ``month``'s."""
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def month_starts(today: date, months: int) -> list[date]:
    """The first days of the last ``months`` calendar months, the current one last."""
    current = today.replace(day=1)
    return [month_add(current, index - months + 1) for index in range(months)]


def month_index(month: date, anchor: date) -> int:
    """How many months ``month`` lies after ``anchor`` (negative: before)."""
    return (month.year - anchor.year) * 12 + month.month - anchor.month


def days_in(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The instant ``day`` begins in ``zone``, in UTC: adding durations to it then moves real time,
    not the wall clock (which would skip or repeat an hour on the days DST changes)."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def local_bounds(month: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """A local calendar month as instants (UTC)."""
    return local_midnight(month, zone), local_midnight(month_add(month, 1), zone)


def day_gone(local_now: datetime) -> float:
    """The share of its local day gone at ``local_now``: a daily import made then holds no more."""
    midnight = datetime.combine(local_now.date(), time(), tzinfo=local_now.tzinfo)
    return (local_now - midnight) / timedelta(days=1)


def plan_anchor(months: int) -> date | None:
    """The current month of the client's first seed (month 0 of its plan), derived from its first
    day of spend and the plan's ``months``; None when it has no spend (no plan, or facts of its own)."""
    first = Spend.objects.aggregate(first=Min("date"))["first"]
    return None if first is None else month_add(first.replace(day=1), months - 1)


def rising_start(anchor: date, months: int) -> date:
    """The day the profile's rising keyword starts to take off (three months before the plan's month 0)."""
    return max(month_add(anchor, -3), month_add(anchor, 1 - months))


def demo_now(now: datetime | None) -> datetime:
    now = now or timezone.now()
    if now.tzinfo is None:
        raise ValueError("now must be an aware datetime.")
    return now


@dataclass(frozen=True)
class Rhythm:
    """One series family's variations: three sine waves, one over months, one over weeks, one over
    days, of periods that never line up. Smooth waves have no step at a month's or a week's start,
    their differences (a growth rate) are waves too, and any run of 8 periods spans more than a whole
    wave of its own level, so the value of a period stays within the spread of the 8 before it."""

    month_phase: float
    week_phase: float
    day_phase: float
    month_amplitude: float = 0.04
    week_amplitude: float = 0.08
    day_amplitude: float = 0.15

    def month(self, index: float) -> float:
        """The factor of month ``index`` (0: the current month, -1 the one before; a fraction within it)."""
        return 1 + self.month_amplitude * math.sin(2 * math.pi * (index / MONTH_PERIOD + self.month_phase))

    def day(self, day: date, index: int) -> float:
        """The factor of ``day``, in month ``index``: the month's wave where the day lies in it, times
        the weekly swell and the daily ripple."""
        ordinal = day.toordinal()
        within = (day.day - 0.5) / days_in(day)
        return (
            self.month(index - 0.5 + within)
            * (1 + self.week_amplitude * math.sin(2 * math.pi * (ordinal / WEEK_PERIOD + self.week_phase)))
            * (1 + self.day_amplitude * math.sin(2 * math.pi * (ordinal / DAY_PERIOD + self.day_phase)))
        )


def rhythm(slug: str, family: str = "") -> Rhythm:
    rng = random.Random(f"pouls-rhythm-{slug}{family}")  # noqa: S311 (demo data, not secrets)
    return Rhythm(rng.random(), rng.random(), rng.random())


def trend(start: float, end: float, index: int) -> float:
    """A straight line from ``start`` (a year before the current month) to ``end`` (the current
    month, ``index`` 0; earlier months are negative): the same months get the same values however
    many months are seeded."""
    return end + (end - start) * index / 12


KEYWORDS = [
    "logiciel kpi marketing",
    "tableau de bord marketing",
    "taux de conversion",
    "coût par lead",
    "générer des leads",
    "marketing automation pme",
    "lead scoring",
    "roi campagne",
    "mql sql",
    "agence marketing digital",
    "pilotage marketing",
    "crm pme",
    "funnel marketing",
    "seo b2b",
    "newsletter b2b",
]

CTAS = [
    ("cta-demo", "Demander une démo", "lp-demo"),
    ("cta-guide", "Télécharger le guide", "lp-guide-kpi"),
    ("cta-essai", "Essayer 14 jours", "lp-essai-14j"),
]


@dataclass(frozen=True)
class MarketingProfile:
    monthly_visits: dict[str, tuple[int, int]]  # channel key -> visits a month, a year ago and now
    page_weights: dict[str, float]  # landing page key -> share of the traffic (the rest: no page)
    monthly_budget: dict[str, tuple[int, int]]  # campaign key -> euros a month, a year ago and now
    cta_click_rates: dict[str, float]  # CTA key -> click rate
    keyword_visits: tuple[int, int]  # monthly visits of the first keyword, a year ago and now
    email: tuple[float, float, float, float]  # delivery, open, click, unsubscribe rates
    list_size: int  # newsletter recipients
    weekend: float = 0.8  # traffic on Saturdays and Sundays against a weekday
    rising_keyword: str = ""  # a keyword whose visits take off over the last three months
    keyword_weights: tuple[float, ...] = field(default=())


PROFILES = {
    # Healthy: a lighting studio selling to architects and shops, carried by paid search.
    "maison-lumiere": MarketingProfile(
        monthly_visits={
            "paid_search": (7200, 10400),
            "organic_search": (3100, 4300),
            "paid_social": (1500, 2100),
            "direct": (2300, 2900),
            "email": (900, 1300),
            "referral": (700, 1000),
        },
        page_weights={"lp-demo": 0.32, "lp-guide-kpi": 0.22, "lp-essai-14j": 0.16, "lp-webinar-pilotage": 0.09},
        monthly_budget={
            "search-marque": (1500, 1800),
            "search-generique": (3700, 4300),
            "meta-prospection": (1300, 1500),
        },
        cta_click_rates={"cta-demo": 0.11, "cta-guide": 0.17, "cta-essai": 0.08},
        keyword_visits=(1300, 1900),
        email=(0.975, 0.31, 0.048, 0.002),
        list_size=3200,
    ),
    # Mixed: a furniture workshop strong on SEO and its newsletter, a little over its cost per lead.
    "atelier-sillon": MarketingProfile(
        monthly_visits={
            "organic_search": (9000, 13500),
            "email": (2600, 3600),
            "direct": (1800, 2300),
            "referral": (1200, 1500),
            "organic_social": (900, 1300),
            "paid_search": (500, 700),
        },
        page_weights={"lp-guide-kpi": 0.36, "lp-newsletter": 0.23, "lp-demo": 0.14, "lp-webinar-pilotage": 0.1},
        monthly_budget={"search-generique": (5600, 6400), "newsletter-mensuelle": (900, 1000)},
        cta_click_rates={"cta-demo": 0.09, "cta-guide": 0.21, "cta-essai": 0.12},
        keyword_visits=(2600, 3900),
        email=(0.99, 0.42, 0.085, 0.0015),
        list_size=5200,
        rising_keyword="seo b2b",
    ),
    # In trouble: a bike shop whose social and display budgets bring fewer and fewer leads.
    "velo-nord": MarketingProfile(
        monthly_visits={
            "paid_social": (6200, 5200),
            "display": (8800, 7000),
            "direct": (1900, 1500),
            "organic_search": (1200, 1000),
            "unassigned": (700, 600),
        },
        page_weights={"lp-essai-14j": 0.3, "lp-demo": 0.12, "lp-guide-kpi": 0.08, "lp-newsletter": 0.05},
        monthly_budget={"meta-prospection": (3700, 3900), "display-retargeting": (2900, 3000)},
        cta_click_rates={"cta-demo": 0.03, "cta-guide": 0.05, "cta-essai": 0.04},
        keyword_visits=(500, 380),
        email=(0.91, 0.15, 0.014, 0.006),
        list_size=2100,
        weekend=1.15,  # a shop: busier at weekends
    ),
}
# How the visits of the first keyword spread over the others (a long tail, not a uniform split).
KEYWORD_SHARES = tuple(round(1 / (1 + 0.35 * rank), 3) for rank in range(len(KEYWORDS)))
RISING_GAIN = 0.55  # a rising keyword gains this share of its level every month for three months


@transaction.atomic
def demo_marketing_seed(*, slug: str, time_zone: str, months: int = 13, now: datetime | None = None) -> int:
    """Seed the facts of one demo client (in its schema) up to ``now``; returns the rows written.

    Today's visits and CTA views and clicks are raw tracking events (the snippet's), rolled up
    here as the worker would; the days before are imported rows.

    A client seeded before catches up: its plan goes on from its last day of spend (seeded in
    part, so written again up to ``now``) with the same months (its first spend's month opens the
    ``months`` that ended with the month of the first seed), nothing counted twice. A client with
    traffic but no spend (facts of its own) is left alone.
    """
    now = demo_now(now)
    zone = ZoneInfo(time_zone)
    local_now = now.astimezone(zone)
    today = local_now.date()
    seeded = Spend.objects.aggregate(first=Min("date"), last=Max("date"))
    if seeded["first"] is None:
        if Traffic.objects.exists():
            return 0
        anchor = today.replace(day=1)
        start = month_add(anchor, 1 - months)
    else:
        # Derived from the data, not stored: the first seed's current month, and its last day.
        anchor = month_add(seeded["first"].replace(day=1), months - 1)
        start = seeded["last"]
    if start > today:
        return 0
    for model in (Spend, KeywordStat):
        model.objects.filter(date__gte=start).delete()
    for model in (Traffic, CTAStat):
        model.objects.filter(date__gte=start, source=FactSource.IMPORT).delete()
    profile, shape, rates = PROFILES[slug], rhythm(slug), rhythm(slug, "rates")
    today_share = day_gone(local_now)  # today's facts so far
    channels = {c.key: c for c in Channel.objects.filter(key__in=profile.monthly_visits)}
    pages = {p.key: p for p in LandingPage.objects.filter(key__in=profile.page_weights)}
    campaigns = {c.key: c for c in Campaign.objects.filter(key__in=profile.monthly_budget)}
    ctas = [
        CTA.objects.get_or_create(
            key=key, defaults={"name": name, "landing_page": LandingPage.objects.filter(key=page).first()}
        )[0]
        for key, name, page in CTAS
    ]
    organic = Channel.objects.get(key="organic_search")
    newsletter = Campaign.objects.filter(key="newsletter-mensuelle").first()
    sent_keys = set(EmailSend.objects.values_list("key", flat=True))
    page_shares = [(pages.get(key), weight) for key, weight in profile.page_weights.items()]
    page_shares.append((None, max(0.0, 1 - sum(profile.page_weights.values()))))
    rising_from = rising_start(anchor, months)
    tracked = Traffic.objects.filter(date__gte=start, source=FactSource.TRACKING)
    tracked_visits = {(row.date, row.channel_id, row.landing_page_id): row.visits for row in tracked}
    tracked_ctas = {
        (row.date, row.cta_id): (row.views, row.clicks)
        for row in CTAStat.objects.filter(date__gte=start, source=FactSource.TRACKING)
    }
    rows: dict[type, list] = {Spend: [], Traffic: [], CTAStat: [], KeywordStat: [], EmailSend: []}
    events: list[TrackingEvent] = []
    for offset in range((today - start).days + 1):
        day = start + timedelta(days=offset)
        month = day.replace(day=1)
        index, length = month_index(month, anchor), days_in(month)  # index 0: the first seed's month
        share = today_share if day == today else 1.0
        weekday = profile.weekend if day.weekday() >= 5 else 1.0
        pulse = shape.day(day, index) * share / length
        # Today's visits and CTA events come from the tracking snippet, as raw events (the whole day's
        # plan, the ones before now); an earlier day's imported rows hold its plan less what the
        # snippet counted on it (the day a former seed ran): a day is never counted twice.
        visits_by_key = {}
        for key, (first, last) in profile.monthly_visits.items():
            level = trend(first, last, index) * shape.day(day, index) / length * weekday
            for page, weight in page_shares:
                visits_by_key[channels[key], page] = round(level * weight)
        for key, (first, last) in profile.monthly_budget.items():
            # A monthly budget spread over the days, whatever the month's length.
            amount = trend(first, last, index) * pulse
            rows[Spend].append(
                Spend(date=day, campaign=campaigns[key], amount=Decimal(amount).quantize(Decimal("0.01")))
            )
        page_visits = sum(trend(*profile.monthly_visits[k], index) for k in profile.monthly_visits)
        cta_counts = {}
        for number, cta in enumerate(ctas):
            views = round(page_visits * shape.day(day, index) / length * weekday * (0.5 - 0.12 * number))
            # Click rates improve a little over the year (the agency tests its buttons).
            rate = profile.cta_click_rates[cta.key] * trend(0.9, 1.1, index) * rates.day(day, index)
            cta_counts[cta] = (views, min(views, round(views * rate)))
        if day == today:
            events = _tracking_events(slug, day, zone, now, visits_by_key, cta_counts)
        else:
            for (channel, page), visits in visits_by_key.items():
                visits -= tracked_visits.get((day, channel.pk, page.pk if page else None), 0)
                if visits > 0:
                    rows[Traffic].append(Traffic(date=day, channel=channel, landing_page=page, visits=visits))
            for cta, (views, clicks) in cta_counts.items():
                seen, clicked = tracked_ctas.get((day, cta.pk), (0, 0))
                rows[CTAStat].append(
                    CTAStat(date=day, cta=cta, views=max(0, views - seen), clicks=max(0, clicks - clicked))
                )
        base = trend(*profile.keyword_visits, index) * pulse * weekday
        for keyword, keyword_share in zip(KEYWORDS, KEYWORD_SHARES, strict=True):
            level = base * keyword_share
            if keyword == profile.rising_keyword and day >= rising_from:
                level *= 1 + RISING_GAIN * (day - rising_from).days / 30.4
            if visits := round(level):
                rows[KeywordStat].append(
                    KeywordStat(date=day, keyword=keyword, channel=organic, visits=visits, impressions=visits * 14)
                )
        sent_at = datetime.combine(day, time(9, 30), tzinfo=zone)
        if day.day in (6, 20) and sent_at <= now and f"newsletter-{day:%Y-%m-%d}" not in sent_keys:
            rows[EmailSend].append(
                _email(profile, index, day, sent_at, newsletter, rates.month(index - 0.5 + day.day / length))
            )
    for model, objects in rows.items():
        model.objects.bulk_create(objects, batch_size=5000)
    # An event seeded by a former run at the same day is kept (its id is the plan's): only new ones.
    TrackingEvent.objects.bulk_create(events, batch_size=5000, ignore_conflicts=True)
    # Rolled up now, as the worker would within minutes: the snapshots refreshed next count them.
    rolled = tracking_rollup()
    return sum(len(objects) for objects in rows.values()) + rolled.events


@dataclass(frozen=True)
class MetricSeries:
    """A series the agency brings in with the ``metrics`` import (docs/imports.md)."""

    name: str
    per_day: tuple[float, float]  # a day's value a year ago and now (a trend)
    weekday: int | None = None  # a weekly series: dated this day of the week (0: Monday), the week's total


METRICS = {
    # Social mentions ("nombre de mentions sur les réseaux sociaux"), from the agency's listening tool.
    "maison-lumiere": (MetricSeries("mentions", (22, 36)),),
    # The workshop also counts its new customer reviews, exported every Monday.
    "atelier-sillon": (MetricSeries("mentions", (12, 19)), MetricSeries("avis", (0.6, 1.0), weekday=0)),
    # A shop people talk about less and less.
    "velo-nord": (MetricSeries("mentions", (44, 24)),),
}


@transaction.atomic
def demo_metrics_seed(*, slug: str, time_zone: str, months: int = 13, now: datetime | None = None) -> int:
    """The imported series of one demo client (``METRICS``, in its schema) up to ``now``, written as
    the ``metrics`` import writes them (its row rules, its upsert); returns the rows written.

    On the marketing plan's months (``plan_anchor``: seed the marketing first): a series starts at
    the plan's first day, or goes on from its last one (today's value so far is replaced). A client
    without the plan's spend is left alone. A daily series follows the audience's week (the
    profile's weekend) and slow waves, like the traffic; today's value is the day so far."""
    now = demo_now(now)
    anchor = plan_anchor(months)
    if anchor is None:
        return 0
    zone = ZoneInfo(time_zone)
    local_now = now.astimezone(zone)
    today, today_share = local_now.date(), day_gone(local_now)
    last = dict(
        MetricValue.objects.filter(key="").values("metric").annotate(last=Max("date")).values_list("metric", "last")
    )
    weekend = PROFILES[slug].weekend
    rows = []
    for series in METRICS[slug]:
        name = metric_name_normalised(series.name)
        shape = rhythm(slug, name)
        start = last.get(name, month_add(anchor, 1 - months))
        for offset in range((today - start).days + 1):
            day = start + timedelta(days=offset)
            index = month_index(day.replace(day=1), anchor)
            level = trend(*series.per_day, index)
            if series.weekday is None:
                value = level * shape.day(day, index) * (weekend if day.weekday() >= 5 else 1.0)
                value *= today_share if day == today else 1.0
            elif day.weekday() == series.weekday:
                value = 7 * level * shape.month(index - 0.5 + (day.day - 0.5) / days_in(day))
            else:
                continue
            rows.append({"date": day, "metric": name, "key": "", "value": metric_value_checked(round(value))})
    written = KINDS["metrics"].write(rows, Context(zone=zone), {"date", "metric", "key", "value"})
    return written.created + written.updated


def _tracking_events(slug: str, day: date, zone: ZoneInfo, now: datetime, visits: dict, ctas: dict) -> list:
    """The raw events of ``day``'s planned visits (channel, page → count) and CTA views and clicks
    (CTA → counts) that happened before ``now``: each count spread evenly over the local day. Ids
    (and sessions: one a visit) are derived from the plan, so a re-run makes the same events."""
    start = local_midnight(day, zone)
    length = local_midnight(day + timedelta(days=1), zone) - start

    def spread(count: int, name: str):
        for number in range(count):
            at = start + length * (number + 0.5) / count
            if at >= now:
                return
            yield at, uuid.uuid5(uuid.NAMESPACE_URL, f"pouls-demo/{slug}/{day}/{name}/{number}")

    events = []
    for (channel, page), count in visits.items():
        path = page_path(page.url) if page else "/"
        for at, event_id in spread(count, f"visit/{channel.key}/{page.key if page else ''}"):
            events.append(
                TrackingEvent(
                    event_id=event_id,
                    type=TrackingEvent.Type.VISIT,
                    occurred_at=at,
                    session=event_id.hex,
                    path=path,
                    channel_key=channel.key,
                )
            )
    for cta, counts in ctas.items():
        path = page_path(cta.landing_page.url) if cta.landing_page else "/"
        for kind, count in zip((TrackingEvent.Type.CTA_VIEW, TrackingEvent.Type.CTA_CLICK), counts, strict=True):
            for at, event_id in spread(count, f"{kind}/{cta.key}"):
                events.append(
                    TrackingEvent(
                        event_id=event_id, type=kind, occurred_at=at, session=event_id.hex, path=path, cta_key=cta.key
                    )
                )
    return events


def _email(profile: MarketingProfile, index: int, day: date, sent_at: datetime, campaign, swing: float) -> EmailSend:
    delivery, opens, clicks, unsubscribes = profile.email
    swing *= 1 + 0.01 * index  # a list that gets a little more engaged every month
    sent = round(profile.list_size * (1 + 0.004 * index))
    delivered = round(sent * delivery)
    unique_opens = round(delivered * opens * swing)
    return EmailSend(
        key=f"newsletter-{day:%Y-%m-%d}",
        name=f"Newsletter {day:%d/%m/%Y}",
        sent_at=sent_at,
        campaign=campaign,
        sent=sent,
        delivered=delivered,
        unique_opens=unique_opens,
        unique_clicks=round(delivered * clicks * swing),
        unsubscribes=round(delivered * unsubscribes * (2 - swing)),
        bounces=sent - delivered,
        complaints=0,
    )
