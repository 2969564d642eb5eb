"""The tracking snippet (static/pouls/pouls.js) in a real browser: a client's website on another
origin, Pouls served by gunicorn, the events rolled up into the client's daily facts."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.models import CTA, CTAStat, FactSource, LandingPage, TrackingEvent, Traffic
from campaigns.tests.factories import LandingPageFactory
from campaigns.tracking_rollup import tracking_rollup
from tests.browser import browser_page, screenshot
from tests.processes import static_site

pytestmark = pytest.mark.browser

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script src="{pouls}/static/pouls/pouls.js" data-site="{pouls}/c/alpha/" defer></script>
</head><body>{body}</body></html>
"""
LANDING = """<h1>Spring offer</h1>
<a id="book" data-pouls-cta="book-demo" href="/merci.html">Book a demo</a>
<div style="height: 4000px"></div>
<a data-pouls-cta="footer-signup" href="/merci.html">Never scrolled to</a>
"""


@pytest.fixture(scope="module")
def website(pouls, tmp_path_factory) -> str:
    """The client's own website: static pages on another origin, with the snippet."""
    root = tmp_path_factory.mktemp("website")
    for name, (title, body) in {"landing.html": ("Spring offer", LANDING), "merci.html": ("Merci", "")}.items():
        (root / name).write_text(PAGE.format(title=title, pouls=pouls, body=body))
    with static_site(root) as url:
        yield url


@pytest.fixture
def alpha(committed, in_client, website):
    """The test runs in alpha, which has a landing page for the website's landing page; its tracking
    data is removed afterwards."""
    in_client(committed.alpha)
    LandingPageFactory(key="spring", name="Spring offer", url=f"{website}/landing.html")
    yield committed.alpha
    for model in (TrackingEvent, Traffic, CTAStat, CTA, LandingPage):
        model.objects.all().delete()


def _stored(client, *, at_least: int, timeout: float = 15) -> list[tuple[str, str, str]]:
    """(type, CTA key, channel key) of the client's events, once at least ``at_least`` arrived (beacons
    are asynchronous, and Playwright does not report those sent as a page is left). Polled from another
    thread: Django refuses database calls in a thread where an event loop runs, as Playwright's does."""

    def poll():
        try:
            deadline = time.monotonic() + timeout
            while True:
                with tenant_context(client):  # this thread's own connection
                    events = sorted(TrackingEvent.objects.values_list("type", "cta_key", "channel_key"))
                if len(events) >= at_least or time.monotonic() > deadline:
                    return events
                time.sleep(0.1)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(poll).result()


def _tracked() -> tuple[list, list]:
    """The tracked traffic and CTA statistics of the client the test is in."""
    traffic = Traffic.objects.filter(source=FactSource.TRACKING)
    stats = CTAStat.objects.filter(source=FactSource.TRACKING)
    return (
        list(traffic.values_list("channel__key", "landing_page__key", "visits")),
        list(stats.values_list("cta__key", "views", "clicks")),
    )


def test_a_paid_search_visit_and_a_cta_click_become_daily_facts(alpha, website):
    with browser_page(website) as page:
        # given a visitor arriving from a Google Ads click
        page.goto("/landing.html?utm_source=google&utm_medium=cpc&utm_campaign=spring")
        # when they click the call-to-action in view, which takes them to another page of the site
        page.click("#book")
        page.wait_for_url("**/merci.html")
        # then the events reach alpha: the visit with its channel, the CTA's view and click
        assert _stored(alpha, at_least=3) == [
            ("cta_click", "book-demo", ""),
            ("cta_view", "book-demo", ""),
            ("visit", "", "paid_search"),
        ]
        # and no cookie was set
        assert page.context.cookies() == []
        screenshot(page, "tracking-snippet-after-click")
    # and after the rollup: one paid-search visit of the landing page, one view and one click of the
    # CTA (the one below the fold was never seen), on today's date
    tracking_rollup()
    traffic, stats = _tracked()
    assert traffic == [("paid_search", "spring", 1)]
    assert stats == [("book-demo", 1, 1)]
    assert Traffic.objects.get().date == timezone.now().astimezone(ZoneInfo(alpha.time_zone)).date()


def test_a_reload_is_not_a_second_visit(alpha, website):
    with browser_page(website) as page:
        # given a visitor who landed on the page (a visit, and the CTA in view)
        page.goto("/landing.html?utm_source=newsletter&utm_medium=email")
        _stored(alpha, at_least=2)
        # when they reload it (the CTA is seen again), then go on to another page of the site
        page.reload()
        _stored(alpha, at_least=3)
        page.goto("/merci.html")
        page.wait_for_timeout(1500)  # more than the snippet's batching delay
    # then the browser sent a single visit
    assert _stored(alpha, at_least=4, timeout=0) == [
        ("cta_view", "book-demo", ""),
        ("cta_view", "book-demo", ""),
        ("visit", "", "email"),
    ]
    tracking_rollup()
    traffic, stats = _tracked()
    assert traffic == [("email", "spring", 1)]
    assert stats == [("book-demo", 2, 0)]


@pytest.mark.parametrize(
    "opt_out",
    [
        "Object.defineProperty(Navigator.prototype, 'doNotTrack', {get: () => '1'});",
        "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', {get: () => true});",
    ],
    ids=["do-not-track", "global-privacy-control"],
)
def test_with_do_not_track_or_gpc_nothing_is_sent(alpha, website, opt_out):
    requests = []
    with browser_page(website) as page:
        # given a visitor whose browser asks not to be tracked
        page.add_init_script(opt_out)
        page.context.on("request", lambda request: requests.append(request.url))
        # when they land with UTMs and click the call-to-action
        page.goto("/landing.html?utm_source=google&utm_medium=cpc")
        page.click("#book")
        page.wait_for_url("**/merci.html")
        page.wait_for_timeout(1500)
        # then the snippet was loaded but sent nothing at all
        assert any(url.endswith("/static/pouls/pouls.js") for url in requests)
        assert [url for url in requests if "/track/" in url] == []
        assert _stored(alpha, at_least=1, timeout=1) == []
