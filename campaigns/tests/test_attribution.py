import pytest

from campaigns.attribution import channel_from_utm


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
