"""Channel attribution from UTM parameters: Google Analytics 4's default channel grouping
(spec kpis.md §2). Case-insensitive; the first matching rule wins; no UTM at all is `direct`;
UTMs that match nothing are `unassigned`. GA4 channels Pouls does not carry (cross-network,
audio, mobile push) fall to `paid_other` or `unassigned`."""

from __future__ import annotations

import re

# GA4's source categories, abridged to the sources marketers meet in practice.
SEARCH_SOURCES = frozenset({
    "google", "bing", "yahoo", "baidu", "duckduckgo", "ecosia", "qwant", "yandex", "naver", "ask", "aol",
    "seznam", "startpage", "brave", "search", "lilo", "sogou", "so.com", "daum", "yandex.ru", "google.com",
    "google.fr", "bing.com", "duckduckgo.com", "qwant.com", "ecosia.org",
})  # fmt: skip
SOCIAL_SOURCES = frozenset({
    "facebook", "fb", "instagram", "ig", "linkedin", "lnkd.in", "twitter", "x", "t.co", "tiktok", "pinterest",
    "snapchat", "reddit", "threads", "bluesky", "mastodon", "tumblr", "quora", "whatsapp", "messenger",
    "meta", "facebook.com", "m.facebook.com", "l.facebook.com", "instagram.com", "linkedin.com", "twitter.com",
    "x.com", "pinterest.com", "reddit.com", "tiktok.com", "viadeo", "xing", "discord", "telegram",
})  # fmt: skip
VIDEO_SOURCES = frozenset({
    "youtube", "youtube.com", "m.youtube.com", "vimeo", "vimeo.com", "dailymotion", "dailymotion.com",
    "twitch", "twitch.tv", "wistia", "ted", "ted.com",
})  # fmt: skip
SHOPPING_SOURCES = frozenset({
    "amazon", "amazon.com", "amazon.fr", "ebay", "ebay.com", "ebay.fr", "etsy", "etsy.com", "shopify",
    "shopping", "google shopping", "cdiscount", "fnac", "rakuten", "zalando", "walmart", "aliexpress",
    "igshopping", "shop.app", "stripe",
})  # fmt: skip

PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
SHOP_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
DISPLAY_MEDIUMS = frozenset({"display", "banner", "expandable", "interstitial", "cpm"})
SOCIAL_MEDIUMS = frozenset({"social", "social-network", "social-media", "sm", "social network", "social media"})
EMAIL_WORDS = frozenset({"email", "e-mail", "e_mail", "e mail"})


def _norm(value: str | None) -> str:
    return (value or "").strip().lower()


def channel_from_utm(*, source: str | None = None, medium: str | None = None, campaign: str | None = None) -> str:
    """The GA4 default channel key for a set of UTM parameters."""
    source, medium, campaign = _norm(source), _norm(medium), _norm(campaign)
    if not (source or medium or campaign):
        return "direct"
    if source == "(direct)" and medium in {"", "(none)", "(not set)"}:
        return "direct"
    paid = bool(PAID_MEDIUM.match(medium))
    shopping = source in SHOPPING_SOURCES or bool(SHOP_CAMPAIGN.match(campaign))
    if "cross-network" in campaign:
        return "paid_other"
    if shopping and paid:
        return "paid_shopping"
    if source in SEARCH_SOURCES and (paid or medium == "paid"):
        return "paid_search"
    if source in SOCIAL_SOURCES and paid:
        return "paid_social"
    if source in VIDEO_SOURCES and paid:
        return "paid_video"
    if medium in DISPLAY_MEDIUMS:
        return "display"
    if paid:
        return "paid_other"
    if shopping:
        return "organic_shopping"
    if source in SOCIAL_SOURCES or medium in SOCIAL_MEDIUMS:
        return "organic_social"
    if source in VIDEO_SOURCES or "video" in medium:
        return "organic_video"
    if source in SEARCH_SOURCES or medium == "organic":
        return "organic_search"
    if medium in {"referral", "app", "link"}:
        return "referral"
    if source in EMAIL_WORDS or medium in EMAIL_WORDS:
        return "email"
    if medium == "affiliate":
        return "affiliates"
    if source == "sms" or medium == "sms":
        return "sms"
    return "unassigned"
