import pytest

from campaigns.attribution import channel_from_referrer, channel_from_utm, lead_channel_key


@pytest.mark.parametrize(
    ("source", "medium", "campaign", "channel"),
    [
        ("", "", "", "direct"),
        ("(direct)", "(none)", "", "direct"),
        ("google", "cpc", "", "paid_search"),
        ("Google", "CPC", "", "paid_search"),
        ("bing", "ppc", "", "paid_search"),
        ("facebook", "paid", "", "paid_social"),
        ("linkedin", "paid_social", "", "paid_social"),
        ("youtube", "cpv", "", "paid_video"),
        ("amazon", "cpc", "", "paid_shopping"),
        ("criteo", "display", "", "display"),
        ("partner", "cpm", "", "display"),
        ("taboola", "paid", "", "paid_other"),
        ("google", "organic", "", "organic_search"),
        ("qwant", "", "", "organic_search"),
        ("linkedin", "social", "", "organic_social"),
        ("newsletter-partner", "social-network", "", "organic_social"),
        ("vimeo", "", "", "organic_video"),
        ("etsy", "", "", "organic_shopping"),
        ("blog.example", "referral", "", "referral"),
        ("newsletter", "email", "", "email"),
        ("e-mail", "", "", "email"),
        ("awin", "affiliate", "", "affiliates"),
        ("sms", "", "", "sms"),
        ("mystery", "weird", "", "unassigned"),
        ("", "", "spring-sale", "unassigned"),
        ("google", "cpc", "summer-shopping", "paid_shopping"),
    ],
)
def test_ga4_default_channel_grouping(source, medium, campaign, channel):
    assert channel_from_utm(source=source, medium=medium, campaign=campaign) == channel


@pytest.mark.parametrize(
    ("referrer", "channel"),
    [
        (None, "direct"),
        ("", "direct"),
        ("not a url", "direct"),
        ("https://www.alpha.example/pricing", "direct"),  # the site itself
        ("https://alpha.example:8443/", "direct"),
        ("https://www.google.com/", "organic_search"),
        ("https://www.google.co.uk/search?q=x", "organic_search"),
        ("https://google.fr/", "organic_search"),
        ("https://www.bing.com/", "organic_search"),
        ("https://duckduckgo.com/", "organic_search"),
        ("https://www.qwant.com/?q=velo", "organic_search"),
        ("https://search.brave.com/search", "organic_search"),
        ("https://mail.google.com/mail/u/0/", "referral"),  # web mail, not search results
        ("https://l.facebook.com/l.php?u=x", "organic_social"),
        ("https://www.linkedin.com/feed/", "organic_social"),
        ("https://lnkd.in/abc", "organic_social"),
        ("https://t.co/xyz", "organic_social"),
        ("https://x.com/someone", "organic_social"),
        ("https://www.youtube.com/watch?v=1", "organic_video"),
        ("https://www.amazon.fr/", "organic_shopping"),
        ("https://blog.example.org/post", "referral"),
        ("https://news.ycombinator.com/", "referral"),
        ("android-app://com.google.android.gm/", "referral"),
        ("http://192.168.1.10/", "referral"),
    ],
)
def test_a_visit_without_utm_takes_its_channel_from_the_referrer(referrer, channel):
    assert channel_from_referrer(referrer, own_host="www.alpha.example") == channel


def test_without_its_own_host_a_sites_referrer_is_a_referral():
    assert channel_from_referrer("https://www.alpha.example/") == "referral"


@pytest.mark.parametrize(
    ("explicit", "utms", "campaign_channel", "expected"),
    [
        ("email", ("google", "cpc", ""), "paid_social", "email"),
        (None, ("google", "cpc", ""), "paid_social", "paid_search"),
        (None, ("", "", ""), "paid_social", "paid_social"),
        (None, ("", "", ""), None, "direct"),
    ],
)
def test_a_leads_channel_is_explicit_then_utms_then_campaign_then_direct(explicit, utms, campaign_channel, expected):
    source, medium, campaign = utms
    assert (
        lead_channel_key(
            explicit=explicit,
            utm_source=source,
            utm_medium=medium,
            utm_campaign=campaign,
            campaign_channel=campaign_channel,
        )
        == expected
    )
