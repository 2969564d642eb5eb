"""Channel attribution from UTM parameters: Google Analytics 4's default channel grouping
(docs/kpis.md §2). Case-insensitive; the first matching rule wins; no UTM at all is `direct`;
UTMs that match nothing are `unassigned`. GA4 channels Pouls does not carry (cross-network,
audio, mobile push) fall to `paid_other` or `unassigned`."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# GA4's source categories, abridged to the sources marketers meet in practice.
SEARCH_SOURCES = frozenset(
    {
        "google",
        "bing",
        "yahoo",
        "baidu",
        "duckduckgo",
        "ecosia",
        "qwant",
        "yandex",
        "naver",
        "ask",
        "aol",
        "seznam",
        "startpage",
        "brave",
        "search",
        "lilo",
        "sogou",
        "so.com",
        "daum",
        "yandex.ru",
        "google.com",
        "google.fr",
        "bing.com",
        "duckduckgo.com",
        "qwant.com",
        "ecosia.org",
    }
)
SOCIAL_SOURCES = frozenset(
    {
        "facebook",
        "fb",
        "instagram",
        "ig",
        "linkedin",
        "lnkd.in",
        "twitter",
        "x",
        "t.co",
        "tiktok",
        "pinterest",
        "snapchat",
        "reddit",
        "threads",
        "bluesky",
        "mastodon",
        "tumblr",
        "quora",
        "whatsapp",
        "messenger",
        "meta",
        "facebook.com",
        "m.facebook.com",
        "l.facebook.com",
        "instagram.com",
        "linkedin.com",
        "twitter.com",
        "x.com",
        "pinterest.com",
        "reddit.com",
        "tiktok.com",
        "viadeo",
        "xing",
        "discord",
        "telegram",
    }
)
VIDEO_SOURCES = frozenset(
    {
        "youtube",
        "youtube.com",
        "m.youtube.com",
        "vimeo",
        "vimeo.com",
        "dailymotion",
        "dailymotion.com",
        "twitch",
        "twitch.tv",
        "wistia",
        "ted",
        "ted.com",
    }
)
SHOPPING_SOURCES = frozenset(
    {
        "amazon",
        "amazon.com",
        "amazon.fr",
        "ebay",
        "ebay.com",
        "ebay.fr",
        "etsy",
        "etsy.com",
        "shopify",
        "shopping",
        "google shopping",
        "cdiscount",
        "fnac",
        "rakuten",
        "zalando",
        "walmart",
        "aliexpress",
        "igshopping",
        "shop.app",
        "stripe",
    }
)

PAID_MEDIUM = re.compile(r"^(.*cp.*|ppc|retargeting|paid.*)$")
SHOP_CAMPAIGN = re.compile(r"^(.*(([^a-df-z]|^)shop|shopping).*)$")
DISPLAY_MEDIUMS = frozenset({"display", "banner", "expandable", "interstitial", "cpm"})
SOCIAL_MEDIUMS = frozenset({"social", "social-network", "social-media", "sm", "social network", "social media"})
EMAIL_WORDS = frozenset({"email", "e-mail", "e_mail", "e mail"})


def _norm(value: str | None) -> str:
    return (value or "").strip().lower()


def lead_channel_key(
    *, explicit: str | None, utm_source: str, utm_medium: str, utm_campaign: str, campaign_channel: str | None
) -> str:
    """A lead's channel (docs/kpis.md §2): the one given, else GA4's rules on its UTMs, else its
    campaign's channel, else direct. The one rule for captures, the API and imports alike."""
    if explicit:
        return explicit
    if utm_source or utm_medium or utm_campaign:
        return channel_from_utm(source=utm_source, medium=utm_medium, campaign=utm_campaign)
    return campaign_channel or "direct"


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


# --- Referrers (visits without UTM parameters) -------------------------------------------------------
# A referrer's site is recognised by its name: the label in front of the public suffix, so that
# every country domain of an engine counts (www.google.co.uk, google.fr). Sites known by a short
# domain of their own (t.co, lnkd.in, youtu.be) have it as their name too.
SEARCH_REFERRERS = frozenset(
    {
        "google",
        "bing",
        "yahoo",
        "baidu",
        "duckduckgo",
        "ecosia",
        "qwant",
        "yandex",
        "ya",
        "naver",
        "ask",
        "aol",
        "seznam",
        "startpage",
        "brave",
        "lilo",
        "sogou",
        "so",
        "daum",
        "search",
        "msn",
        "kagi",
        "mojeek",
    }
)
SOCIAL_REFERRERS = frozenset(
    {
        "facebook",
        "fb",
        "instagram",
        "linkedin",
        "lnkd",
        "twitter",
        "x",
        "t",
        "tiktok",
        "pinterest",
        "snapchat",
        "reddit",
        "threads",
        "bsky",
        "tumblr",
        "quora",
        "whatsapp",
        "messenger",
        "discord",
        "telegram",
        "mastodon",
        "xing",
        "viadeo",
        "vk",
        "weibo",
    }
)
VIDEO_REFERRERS = frozenset({"youtube", "youtu", "vimeo", "dailymotion", "twitch", "wistia", "ted"})
SHOPPING_REFERRERS = frozenset(
    {
        "amazon",
        "ebay",
        "etsy",
        "cdiscount",
        "fnac",
        "rakuten",
        "zalando",
        "walmart",
        "aliexpress",
    }
)
# Second-level labels of country domains (example.co.uk, example.com.au): the name is one label further.
_COUNTRY_SECOND_LEVELS = frozenset({"co", "com", "net", "org", "ac", "gov", "ne", "or", "gouv"})
# Web mail and office suites of search companies send their users, not search results.
_NOT_SEARCH_SUBDOMAINS = frozenset({"mail", "webmail", "docs", "drive", "calendar", "meet", "outlook"})


def _host(url: str | None) -> str:
    try:
        host = urlsplit((url or "").strip()).hostname or ""
    except ValueError:
        return ""
    return host.rstrip(".").removeprefix("www.")


def _site_name(host: str) -> str:
    """``www.google.co.uk`` → ``google``; ``t.co`` → ``t``; an IP address or a bare name → itself."""
    labels = host.split(".")
    if len(labels) < 2:
        return host
    if len(labels) >= 3 and len(labels[-1]) == 2 and labels[-2] in _COUNTRY_SECOND_LEVELS:
        return labels[-3]
    return labels[-2]


def channel_from_referrer(referrer: str | None, *, own_host: str | None = None) -> str:
    """The GA4 default channel key of a visit without UTM parameters, from its referrer.

    No referrer (or one from ``own_host``, the visited site itself) is ``direct``; a search engine is
    ``organic_search``, a social network ``organic_social``, a video site ``organic_video``, a
    marketplace ``organic_shopping`` (as GA4 does), and any other site ``referral``.
    """
    host = _host(referrer)
    if not host:
        return "direct"
    if own_host and host == _host(f"//{own_host}"):
        return "direct"
    name = _site_name(host)
    if name in SEARCH_REFERRERS and host.split(".")[0] not in _NOT_SEARCH_SUBDOMAINS:
        return "organic_search"
    if name in SOCIAL_REFERRERS:
        return "organic_social"
    if name in VIDEO_REFERRERS:
        return "organic_video"
    if name in SHOPPING_REFERRERS:
        return "organic_shopping"
    return "referral"
