"""The CRM data of the demo clients over the current month and the twelve before it, up to the
moment the seed runs, shaped by each client's profile (healthy, mixed, in trouble: see
``campaigns.demo`` for why the variations are even rather than random).

Deterministic (seeded by the client's slug, relative to ``now``) and written through the same
services as real data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max, Min

from campaigns.demo import (
    EVEN_STEP,
    days_in,
    demo_now,
    local_bounds,
    local_midnight,
    month_add,
    month_index,
    rhythm,
    trend,
    weyl,
)
from campaigns.models import Campaign, Channel, LandingPage, Offer
from leads.models import STAGE_ORDER, ChangeOrigin, Lead, ScoringRule, Stage
from leads.services import LeadInput, lead_mark_lost, lead_move_stage, lead_upsert


@dataclass(frozen=True)
class LeadProfile:
    monthly_leads: tuple[int, int]  # a whole month's leads a year ago and this month (a trend)
    channels: dict[str, float]  # channel key -> weight
    offers: dict[str, float]  # offer key -> weight
    to_mql: float
    to_sql: float
    to_customer: float
    lost: float
    deal_value: int  # the average deal, in the client's currency
    # Each month opens with a lead in each of these channels in its first minutes (taken from their
    # turns: a day holds no more leads than usual), so that month-to-date pacing is not judged on an
    # empty first day (docs/kpis.md §5: on the 1st, the whole day's share of a weekly objective is
    # expected from midnight).
    opening: tuple[str, ...]


PROFILES = {
    # Healthy: growing, on pace, customers worth a lighting project each.
    "maison-lumiere": LeadProfile(
        monthly_leads=(150, 210),
        channels={"paid_search": 42, "organic_search": 18, "direct": 12, "paid_social": 10, "email": 10, "referral": 8},
        offers={"demo": 34, "guide-kpi": 26, "essai-14j": 18, "webinar-pilotage": 12, "newsletter": 10},
        to_mql=0.46,
        to_sql=0.5,
        to_customer=0.32,
        lost=0.1,
        deal_value=1600,
        opening=("paid_search", "organic_search", "paid_search", "organic_search", "paid_search"),
    ),
    # Mixed: steady leads from SEO and the newsletter, larger deals, a cost per lead a little high.
    "atelier-sillon": LeadProfile(
        monthly_leads=(90, 122),
        channels={
            "organic_search": 42,
            "email": 22,
            "direct": 12,
            "referral": 10,
            "organic_social": 8,
            "paid_search": 6,
        },
        offers={"guide-kpi": 38, "newsletter": 22, "demo": 18, "webinar-pilotage": 14, "essai-14j": 8},
        to_mql=0.5,
        to_sql=0.5,
        to_customer=0.36,
        lost=0.08,
        deal_value=3000,
        opening=("organic_search", "email", "organic_search", "email"),
    ),
    # In trouble: fewer leads each month, few of them qualified, small deals.
    "velo-nord": LeadProfile(
        monthly_leads=(110, 72),
        channels={"paid_social": 34, "display": 24, "direct": 18, "organic_search": 14, "unassigned": 10},
        offers={"essai-14j": 40, "demo": 25, "guide-kpi": 20, "newsletter": 15},
        to_mql=0.26,
        to_sql=0.36,
        to_customer=0.48,
        lost=0.3,
        deal_value=1500,
        opening=("direct",),
    ),
}

OFFERS = [
    ("guide-kpi", "Guide des KPI marketing", "ebook"),
    ("webinar-pilotage", "Webinar pilotage", "webinar"),
    ("demo", "Démo personnalisée", "demo"),
    ("essai-14j", "Essai 14 jours", "trial"),
    ("newsletter", "Newsletter", "newsletter"),
]
CAMPAIGNS = [
    ("search-marque", "Search — marque", "paid_search"),
    ("search-generique", "Search — générique", "paid_search"),
    ("meta-prospection", "Meta prospection", "paid_social"),
    ("display-retargeting", "Display retargeting", "display"),
    ("newsletter-mensuelle", "Newsletter mensuelle", "email"),
]
FIRST_NAMES = [
    "Camille",
    "Léa",
    "Hugo",
    "Louis",
    "Chloé",
    "Manon",
    "Jules",
    "Emma",
    "Lucas",
    "Inès",
    "Nathan",
    "Sarah",
    "Théo",
    "Julie",
    "Arthur",
    "Zoé",
    "Paul",
    "Alice",
    "Tom",
    "Clara",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefebvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
    "Vincent",
    "Fournier",
]
COMPANIES = [
    "Boulangerie Lenoir",
    "Cabinet Arpège",
    "Transports Vidal",
    "Studio Nacre",
    "Groupe Orée",
    "Clinique du Parc",
    "Maison Fabre",
    "Atelier 42",
    "Ferme des Saules",
    "Optique Claire",
]
JOB_TITLES = [
    "Directrice marketing",
    "Responsable communication",
    "Gérant",
    "Chargé de marketing digital",
    "Directeur commercial",
    "Assistante",
    "CEO",
    "Responsable e-commerce",
]


def _catalogue() -> tuple[list[Offer], list[Campaign], list[LandingPage]]:
    channels = {c.key: c for c in Channel.objects.all()}
    offers = [Offer.objects.get_or_create(key=k, defaults={"name": n, "kind": kind})[0] for k, n, kind in OFFERS]
    campaigns = [
        Campaign.objects.get_or_create(key=k, defaults={"name": n, "channel": channels[c], "utm_campaign": k})[0]
        for k, n, c in CAMPAIGNS
    ]
    pages = [
        LandingPage.objects.get_or_create(
            key=f"lp-{offer.key}",
            defaults={"name": f"Page {offer.name}", "offer": offer, "url": f"https://www.example.fr/{offer.key}/"},
        )[0]
        for offer in offers
    ]
    return offers, campaigns, pages


class RoundRobin:
    """Smooth weighted round robin: each key comes back at even intervals, in proportion to its weight
    (a day's or a month's count per key never strays far from its share, unlike random draws)."""

    def __init__(self, weights: dict[str, float], rng: random.Random):
        self.weights = weights
        self.credit = {key: rng.random() * weight for key, weight in weights.items()}

    def __next__(self) -> str:
        return self.take(None)

    def take(self, key: str | None) -> str:
        """The next key, or ``key`` in its place (counted as its turn: the shares stay even)."""
        total = sum(self.weights.values())
        for name, weight in self.weights.items():
            self.credit[name] += weight
        chosen = key or max(self.credit, key=self.credit.get)
        self.credit[chosen] -= total
        return chosen


class Pace:
    """Yes for a steady share ``rate`` of the calls (an accumulator, not a coin: even intervals)."""

    def __init__(self, rng: random.Random):
        self.credit = rng.random()

    def __call__(self, rate: float) -> bool:
        self.credit += rate
        if self.credit >= 1:
            self.credit -= 1
            return True
        return False


# A planned lead's path is over within this long of its creation (a customer within 3.3 days, a loss
# 7 days after its last stage): older leads need no catch-up moves.
SETTLED_AFTER = timedelta(days=11)


@dataclass(frozen=True)
class PlannedLead:
    """One demo lead before its contact details: when, where from, how far it went."""

    created_at: datetime
    channel: str
    offer: str
    stage: str
    reached: dict  # mql_at, sql_at, customer_at
    lost_at: datetime | None
    deal_value: Decimal | None


def lead_plan(
    *, slug: str, time_zone: str, months: int, now: datetime, anchor: date | None = None
) -> list[PlannedLead]:
    """The leads of one demo client up to ``now`` (pure: no database): every calendar month from
    ``months - 1`` months before ``anchor`` (default: the current month) to the current one, spread
    over each of its days, the current month's up to ``now`` (none in the future).

    The plan at a later ``now`` with the same ``anchor`` starts with the same leads (a catch-up adds
    the ones after; only the stages they have reached move on), except when the first plan was made
    in the first minutes of a month (its opening leads were squeezed before that moment)."""
    profile = PROFILES[slug]
    # The leads' own rhythm, not the traffic's: the visit-to-lead rate and the cost per lead vary too.
    # Wide daily swings: a day's count then never stands out of the days before it by a lead or two.
    shape = replace(rhythm(slug, "leads"), month_amplitude=0.06, week_amplitude=0.12, day_amplitude=0.35)
    # The share of leads that go on to each stage swings from month to month.
    stages = [
        replace(rhythm(slug, stage), month_amplitude=0.1, week_amplitude=0, day_amplitude=0)
        for stage in ("mql", "sql", "won")
    ]
    rng = random.Random(f"pouls-demo-{slug}")  # noqa: S311 (demo data, not secrets)
    zone = ZoneInfo(time_zone)
    channel_turns, offer_turns = RoundRobin(profile.channels, rng), RoundRobin(profile.offers, rng)
    funnel = {key: (Pace(rng), Pace(rng), Pace(rng), Pace(rng)) for key in profile.channels}
    plan: list[PlannedLead] = []
    current = now.astimezone(zone).date().replace(day=1)
    anchor = anchor or current
    first = month_add(anchor, 1 - months)
    starts = [month_add(first, number) for number in range(month_index(current, first) + 1)]
    for month in starts:
        index = month_index(month, anchor)  # 0: the anchor's month (the first plan's current one)
        start, _ = local_bounds(month, zone)
        volume = trend(*profile.monthly_leads, index) * shape.month(index)
        days = [month + timedelta(days=offset) for offset in range(days_in(month))]
        weights = [shape.day(day, index) / shape.month(index) for day in days]
        total, done, opening = sum(weights), 0.0, list(profile.opening)
        # The opening leads: in the first minutes of the month (in its first half hour when the month
        # has just begun: always before now); they count among the first day's leads.
        opening_step = min(timedelta(minutes=8), (now - start) / (len(opening) + 1))
        for day, weight in zip(days, weights, strict=True):
            count = round(volume * (done + weight) / total) - round(volume * done / total)
            done += weight
            day_start = local_midnight(day, zone)
            for number in range(count):
                if opening:
                    created_at = start + opening_step * (len(profile.opening) - len(opening) + 1)
                    channel = channel_turns.take(opening.pop(0))
                else:
                    length = local_midnight(day + timedelta(days=1), zone) - day_start  # 23 to 25 hours
                    created_at = day_start + length * (number + 0.5 + 0.6 * (rng.random() - 0.5)) / count
                    channel = next(channel_turns)
                if created_at >= now:
                    return plan
                swings = [stage.day(day, index) for stage in stages]
                plan.append(
                    _planned(
                        rng, profile, created_at, now, channel, next(offer_turns), funnel[channel], swings, len(plan)
                    )
                )
    return plan


def _planned(rng, profile, created_at, now, channel, offer, paces, swings, number) -> PlannedLead:
    reached: dict[str, datetime | None] = {"mql_at": None, "sql_at": None, "customer_at": None}
    stage, at = Stage.LEAD, created_at
    # Steady conversions per channel, reached within days (MQL within hours, a customer within a
    # week of the lead): last month's cohort is nearly complete on the 1st. The lead's whole path is
    # drawn whatever ``now``, then cut at ``now``: the draws, hence the leads after it, never depend
    # on the moment of the plan.
    for (next_stage, rate, field, delay), pace, swing in zip(
        (
            (Stage.MQL, profile.to_mql, "mql_at", (0.01, 0.3)),
            (Stage.SQL, profile.to_sql, "sql_at", (0.1, 1.0)),
            (Stage.CUSTOMER, profile.to_customer, "customer_at", (0.3, 2.0)),
        ),
        paces,
        swings,
        strict=False,
    ):
        if not pace(min(1.0, rate * swing)):
            break
        at = at + timedelta(days=rng.uniform(*delay))
        reached[field], stage = at, next_stage
    lost_at = None
    if stage != Stage.CUSTOMER and paces[3](profile.lost):
        lost_at = (reached[f"{stage}_at"] if stage != Stage.LEAD else created_at) + timedelta(days=7)
    stage = Stage.LEAD
    for field, next_stage in (("mql_at", Stage.MQL), ("sql_at", Stage.SQL), ("customer_at", Stage.CUSTOMER)):
        if reached[field] is not None and reached[field] < now:
            stage = next_stage
        else:
            reached[field] = None
    lost_at = lost_at if lost_at is not None and lost_at < now else None
    # Deal values around the client's average, spread evenly from 75 % to 125 % of it.
    deal = Decimal(round(profile.deal_value * (1 + 0.25 * weyl(number, EVEN_STEP, 0.5)), -1))
    return PlannedLead(created_at, channel, offer, stage, reached, lost_at, deal if stage == Stage.CUSTOMER else None)


@transaction.atomic
def demo_leads_seed(*, slug: str, owners: list, time_zone: str, months: int = 13, now: datetime | None = None) -> int:
    """Seed the demo leads of one client (in its schema) up to ``now`` (``lead_plan``), through the
    same service as real leads; returns the leads created.

    A client seeded before catches up: the plan of its first seed's months (its first lead's month
    opens the ``months`` that ended with the first seed's month) goes on to ``now``, and only its
    leads created after the last one there are added; the leads of the days before it that the plan
    moves on in the meantime (stages, losses) are moved, at the plan's instants."""
    now = demo_now(now)
    zone = ZoneInfo(time_zone)
    first = Lead.objects.aggregate(first=Min("created_at"))["first"]
    anchor = None if first is None else month_add(first.astimezone(zone).date().replace(day=1), months - 1)
    offers, campaigns, pages = _catalogue()
    channels = {c.key: c for c in Channel.objects.filter(key__in=PROFILES[slug].channels)}
    offers_by_key = {o.key: o for o in offers}
    pages_by_offer = {p.offer_id: p for p in pages}
    # Paid search leads come two to one from the generic campaign and the brand one.
    generic, brand = ([c for c in campaigns if c.key == key] for key in ("search-generique", "search-marque"))
    by_channel = {c.channel.key: [c] for c in reversed(campaigns)} | {"paid_search": generic * 2 + brand}
    ScoringRule.objects.get_or_create(
        name="Décideur", defaults={"field": "job_title", "operator": "contains", "value": "direct", "points": 20}
    )
    ScoringRule.objects.get_or_create(
        name="Demande de démo", defaults={"field": "offer_kind", "operator": "eq", "value": "demo", "points": 30}
    )
    plan = lead_plan(slug=slug, time_zone=time_zone, months=months, now=now, anchor=anchor)
    # The last seeded moment: the latest plan lead there is (the client's own leads, a visitor's form
    # sent on the demo say, do not count).
    emails = [_contact(_people(slug, number), number + 101)[2] for number in range(len(plan))]
    present = set(Lead.objects.filter(email__in=emails).values_list("email", flat=True))
    last = max((p.created_at for p, email in zip(plan, emails, strict=True) if email in present), default=None)
    if last is None and first is not None:
        # Leads of a seed made before the leads' details were drawn one generator per lead: none of
        # their emails is the plan's; the latest lead marks the moment then (no moves: not the plan's).
        last = Lead.objects.aggregate(last=Max("created_at"))["last"]
    created = 0
    for number, planned in enumerate(plan):
        rng = _people(slug, number)
        if last is not None and planned.created_at <= last:
            if planned.created_at > last - SETTLED_AFTER:
                _moves_caught_up(rng, planned, number=number + 101)
            continue
        offer = offers_by_key[planned.offer]
        choices = by_channel.get(planned.channel)
        lead_upsert(
            record=_record(
                rng,
                planned,
                number=number + 101,
                channel=channels[planned.channel],
                campaign=choices[number % len(choices)] if choices else None,
                offer=offer,
                page=pages_by_offer.get(offer.pk),
                owners=owners,
            ),
            source=ChangeOrigin.IMPORT,
        )
        created += 1
    return created


def _people(slug: str, number: int) -> random.Random:
    """One generator per lead: a lead's details do not hang on the leads seeded before it."""
    return random.Random(f"pouls-people-{slug}-{number}")  # noqa: S311 (demo data, not secrets)


def _contact(rng, number: int) -> tuple[str, str, str]:
    """A demo lead's first name, last name and email: its generator's first draws."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    domain = rng.choice(["gmail.com", "orange.fr", "free.fr", "pro.fr"])
    # The lead's number keeps every email apart (a shared one would merge two demo leads).
    email = f"{first}.{last}.{number}@{domain}".lower().replace("é", "e").replace("è", "e").replace("ï", "i")
    return first, last, email


def _moves_caught_up(rng, planned: PlannedLead, *, number: int) -> int:
    """Move an existing demo lead to where its plan has it now: the stages it reached, each at its
    planned instant, then its loss (what happened since the seed that created it). Returns the moves."""
    _, _, email = _contact(rng, number)
    lead = Lead.objects.filter(email=email).first()
    if lead is None or lead.is_lost:  # erased, or lost: a lost lead does not move
        return 0
    moves = 0
    for field, stage in (("mql_at", Stage.MQL), ("sql_at", Stage.SQL), ("customer_at", Stage.CUSTOMER)):
        at = planned.reached[field]
        if at is not None and STAGE_ORDER.index(lead.stage) < STAGE_ORDER.index(stage):
            deal = planned.deal_value if stage == Stage.CUSTOMER else None
            lead = lead_move_stage(lead=lead, to=stage, at=at, source=ChangeOrigin.IMPORT, deal_value=deal)
            moves += 1
    if planned.lost_at is not None:
        reason = ("Budget", "Pas de réponse", "Concurrent")[number % 3]
        lead_mark_lost(lead=lead, reason=reason, at=planned.lost_at, source=ChangeOrigin.IMPORT)
        moves += 1
    return moves


def _record(rng, planned: PlannedLead, *, number, channel, campaign, offer, page, owners) -> LeadInput:
    first, last, email = _contact(rng, number)
    return LeadInput(
        email=email,
        created_at=planned.created_at,
        first_name=first,
        last_name=last,
        company=rng.choice(COMPANIES),
        job_title=rng.choice(JOB_TITLES),
        company_size=rng.choice([5, 12, 40, 120, 350, 900]),
        channel=channel,
        campaign=campaign,
        offer=offer,
        landing_page=page,
        stage=planned.stage,
        **planned.reached,
        lost_at=planned.lost_at,
        lost_reason=rng.choice(["Budget", "Pas de réponse", "Concurrent"]) if planned.lost_at else "",
        deal_value=planned.deal_value,
        owner=rng.choice(owners) if owners and planned.stage != Stage.LEAD else None,
    )
