"""Twelve months of marketing facts for the demo clients: spend, traffic, CTAs, keywords, email sends.

Each client has a profile (strong on paid search; strong on SEO and email; struggling). Written in
bulk, deterministic (seeded by the slug), and skipped for a client that already has facts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from campaigns.models import CTA, Campaign, Channel, CTAStat, EmailSend, KeywordStat, LandingPage, Spend, Traffic

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


@dataclass(frozen=True)
class MarketingProfile:
    daily_visits: dict[str, int]  # channel key -> visits per day at the start
    growth: float  # traffic multiplier reached after a year
    daily_spend: dict[str, int]  # campaign key -> euros per day
    cta_click_rate: float
    keyword_strength: float
    email: tuple[float, float, float]  # delivery, open, click rates


PROFILES = {
    "maison-lumiere": MarketingProfile(
        {"paid_search": 420, "organic_search": 160, "paid_social": 90, "direct": 140, "email": 60, "referral": 50},
        1.5,
        {"search-marque": 90, "search-generique": 160, "meta-prospection": 45},
        0.12,
        0.6,
        (0.97, 0.28, 0.05),
    ),
    "atelier-sillon": MarketingProfile(
        {"organic_search": 520, "email": 180, "direct": 110, "referral": 80, "organic_social": 70},
        1.7,
        {"newsletter-mensuelle": 8},
        0.16,
        1.6,
        (0.99, 0.41, 0.09),
    ),
    "velo-nord": MarketingProfile(
        {"paid_social": 260, "display": 380, "direct": 90, "organic_search": 60, "unassigned": 40},
        0.75,
        {"meta-prospection": 140, "display-retargeting": 120},
        0.04,
        0.3,
        (0.9, 0.14, 0.015),
    ),
}


@transaction.atomic
def demo_marketing_seed(*, slug: str, time_zone: str, months: int = 12) -> int:
    """Seed the facts of one demo client (in its schema); returns the number of rows written."""
    if Spend.objects.exists() or Traffic.objects.exists():
        return 0
    profile = PROFILES[slug]
    rng = random.Random(f"pouls-facts-{slug}")  # noqa: S311 (demo data, not secrets)
    today = timezone.now().astimezone(ZoneInfo(time_zone)).date()
    start = (today.replace(day=1) - timedelta(days=31 * (months - 1))).replace(day=1)
    days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
    channels = {c.key: c for c in Channel.objects.filter(key__in=profile.daily_visits)}
    pages = list(LandingPage.objects.all()) or [None]
    campaigns = {c.key: c for c in Campaign.objects.filter(key__in=profile.daily_spend)}
    ctas = [
        CTA.objects.get_or_create(key=k, defaults={"name": n, "landing_page": p})[0]
        for (k, n), p in zip(
            [
                ("cta-demo", "Demander une démo"),
                ("cta-guide", "Télécharger le guide"),
                ("cta-essai", "Essayer 14 jours"),
            ],
            pages,
            strict=False,
        )
    ]
    rows: dict[type, list] = {Spend: [], Traffic: [], CTAStat: [], KeywordStat: [], EmailSend: []}
    organic = Channel.objects.get(key="organic_search")
    for index, day in enumerate(days):
        trend = 1 + (profile.growth - 1) * index / max(len(days) - 1, 1)
        weekly = 0.7 if day.weekday() >= 5 else 1.0
        for key, base in profile.daily_visits.items():
            for page in pages:
                visits = max(0, round(base * trend * weekly / len(pages) * rng.uniform(0.75, 1.25)))
                rows[Traffic].append(Traffic(date=day, channel=channels[key], landing_page=page, visits=visits))
        for key, amount in profile.daily_spend.items():
            if key in campaigns:
                value = Decimal(amount * weekly * rng.uniform(0.8, 1.2)).quantize(Decimal("0.01"))
                rows[Spend].append(Spend(date=day, campaign=campaigns[key], amount=value))
        for cta in ctas:
            views = round(150 * trend * weekly * rng.uniform(0.7, 1.3))
            clicks = min(views, round(views * profile.cta_click_rate * rng.uniform(0.7, 1.3)))
            rows[CTAStat].append(CTAStat(date=day, cta=cta, views=views, clicks=clicks))
        for rank, keyword in enumerate(KEYWORDS):
            visits = round(60 * profile.keyword_strength * trend / (rank + 1) * rng.uniform(0.6, 1.4))
            if visits:
                rows[KeywordStat].append(
                    KeywordStat(
                        date=day,
                        keyword=keyword,
                        channel=organic,
                        visits=visits,
                        impressions=visits * rng.randint(8, 25),
                    )
                )
        if day.day in (6, 20):
            rows[EmailSend].append(_email(rng, profile, day, time_zone, len(rows[EmailSend])))
    for model, objects in rows.items():
        model.objects.bulk_create(objects, batch_size=5000)
    return sum(len(objects) for objects in rows.values())


def _email(rng, profile: MarketingProfile, day: date, time_zone: str, number: int) -> EmailSend:
    sent = rng.randint(1800, 4200)
    delivery, opens, clicks = profile.email
    delivered = round(sent * delivery * rng.uniform(0.98, 1.0))
    unique_opens = round(delivered * opens * rng.uniform(0.85, 1.15))
    return EmailSend(
        key=f"newsletter-{day:%Y-%m}-{number}",
        name=f"Newsletter {day:%d/%m/%Y}",
        sent_at=datetime.combine(day, time(9, 30), tzinfo=ZoneInfo(time_zone)),
        campaign=Campaign.objects.filter(key="newsletter-mensuelle").first(),
        sent=sent,
        delivered=delivered,
        unique_opens=unique_opens,
        unique_clicks=round(unique_opens * clicks / opens * rng.uniform(0.8, 1.2)),
        unsubscribes=round(delivered * rng.uniform(0.001, 0.006)),
        bounces=sent - delivered,
        complaints=rng.randint(0, 3),
    )
