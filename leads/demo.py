"""Twelve months of CRM data for the demo clients, shaped by each client's profile.

Deterministic (seeded by the client's slug) and written through the same services as real data.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, Channel, LandingPage, Offer
from leads.models import ChangeOrigin, Lead, ScoringRule, Stage
from leads.services import LeadInput, lead_upsert


@dataclass(frozen=True)
class LeadProfile:
    monthly_leads: tuple[int, int]  # first month, last month (a trend)
    channels: dict[str, float]  # channel key -> weight
    to_mql: float
    to_sql: float
    to_customer: float
    lost: float
    deal_value: tuple[int, int]


PROFILES = {
    "maison-lumiere": LeadProfile(
        (45, 80),
        {"paid_search": 45, "organic_search": 12, "paid_social": 10, "direct": 12, "email": 11, "referral": 10},
        0.42,
        0.45,
        0.35,
        0.08,
        (800, 6000),
    ),
    "atelier-sillon": LeadProfile(
        (30, 55),
        {"organic_search": 45, "email": 25, "direct": 10, "referral": 10, "organic_social": 10},
        0.48,
        0.5,
        0.4,
        0.06,
        (2000, 15000),
    ),
    "velo-nord": LeadProfile(
        (40, 22),
        {"paid_social": 35, "display": 25, "direct": 20, "organic_search": 10, "unassigned": 10},
        0.2,
        0.25,
        0.18,
        0.25,
        (300, 2500),
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


def _instant(rng: random.Random, start: datetime, days: float) -> datetime:
    return start + timedelta(days=rng.uniform(0, days), minutes=rng.randint(0, 59))


@transaction.atomic
def demo_leads_seed(*, slug: str, owners: list, time_zone: str, months: int = 12) -> int:
    """Seed the demo leads of one client (in its schema); does nothing when it already has leads."""
    if Lead.objects.exists():
        return 0
    profile = PROFILES[slug]
    rng = random.Random(f"pouls-demo-{slug}")  # noqa: S311 (demo data, not secrets)
    offers, campaigns, pages = _catalogue()
    channels = {c.key: c for c in Channel.objects.filter(key__in=profile.channels)}
    by_channel = {c.channel.key: c for c in campaigns}
    ScoringRule.objects.get_or_create(
        name="Décideur", defaults={"field": "job_title", "operator": "contains", "value": "direct", "points": 20}
    )
    ScoringRule.objects.get_or_create(
        name="Demande de démo", defaults={"field": "offer_kind", "operator": "eq", "value": "demo", "points": 30}
    )
    now = timezone.now()
    zone = ZoneInfo(time_zone)
    first_month = (
        now.astimezone(zone).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
        - timedelta(days=31 * (months - 1))
    ).replace(day=1)
    created = 0
    for month in range(months):
        start = (first_month + timedelta(days=31 * month)).replace(day=1)
        share = month / max(months - 1, 1)
        volume = round(profile.monthly_leads[0] + (profile.monthly_leads[1] - profile.monthly_leads[0]) * share)
        for _ in range(rng.randint(int(volume * 0.85), int(volume * 1.15))):
            created_at = _instant(rng, start, 28)
            if created_at >= now:
                continue
            channel_key = rng.choices(list(profile.channels), weights=list(profile.channels.values()))[0]
            record = _record(
                rng, profile, created_at, now, channels[channel_key], by_channel.get(channel_key), offers, pages, owners
            )
            lead_upsert(record=record, source=ChangeOrigin.IMPORT)
            created += 1
    return created


def _record(rng, profile, created_at, now, channel, campaign, offers, pages, owners) -> LeadInput:
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    offer = rng.choice(offers)
    page = next((p for p in pages if p.offer_id == offer.pk), None)
    reached: dict[str, datetime | None] = {"mql_at": None, "sql_at": None, "customer_at": None}
    stage, at = Stage.LEAD, created_at
    for next_stage, rate, field in (
        (Stage.MQL, profile.to_mql, "mql_at"),
        (Stage.SQL, profile.to_sql, "sql_at"),
        (Stage.CUSTOMER, profile.to_customer, "customer_at"),
    ):
        at = at + timedelta(days=rng.uniform(0.5, 21))
        if at >= now or rng.random() >= rate:
            break
        reached[field], stage = at, next_stage
    lost = stage != Stage.CUSTOMER and rng.random() < profile.lost
    lost_at = min(now, (reached[f"{stage}_at"] if stage != Stage.LEAD else created_at) + timedelta(days=7))
    number, domain = rng.randint(1, 99999), rng.choice(["gmail.com", "orange.fr", "free.fr", "pro.fr"])
    return LeadInput(
        email=f"{first}.{last}.{number}@{domain}".lower().replace("é", "e").replace("è", "e").replace("ï", "i"),
        created_at=created_at,
        first_name=first,
        last_name=last,
        company=rng.choice(COMPANIES),
        job_title=rng.choice(JOB_TITLES),
        company_size=rng.choice([5, 12, 40, 120, 350, 900]),
        channel=channel,
        campaign=campaign,
        offer=offer,
        landing_page=page,
        stage=stage,
        **reached,
        lost_at=lost_at if lost else None,
        lost_reason=rng.choice(["Budget", "Pas de réponse", "Concurrent"]) if lost else "",
        deal_value=Decimal(rng.randint(*profile.deal_value)) if stage in (Stage.SQL, Stage.CUSTOMER) else None,
        owner=rng.choice(owners) if owners and stage != Stage.LEAD else None,
    )
