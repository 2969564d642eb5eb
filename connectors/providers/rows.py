"""What the providers hand to the sync: platform-neutral daily rows and the accounts a grant can read."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True)
class Account:
    """An account a connection can read: a GA4 property ("properties/123"), a Search Console site, a Google
    Ads customer (10 digits; ``manager_id`` the manager it is reached through) or a Meta ad account."""

    id: str
    name: str
    currency: str = ""
    manager_id: str = ""


@dataclass(frozen=True)
class TrafficRow:
    """GA4: sessions of one day, channel (a Pouls channel key, GA4's group mapped) and landing page path."""

    date: date
    channel_key: str
    landing_path: str  # the page path as GA4 reports it ("/offre-ete", "(not set)")
    visits: int


@dataclass(frozen=True)
class KeywordRow:
    """Search Console: clicks and impressions of one day and query."""

    date: date
    keyword: str
    clicks: int
    impressions: int


@dataclass(frozen=True)
class SpendRow:
    """Google Ads, Meta Ads: one day of one platform campaign, cost in the account's currency."""

    date: date
    campaign_id: str
    campaign_name: str
    cost: Decimal
    clicks: int
    impressions: int
    utm_campaign: str = ""
