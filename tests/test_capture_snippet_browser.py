"""The form snippet (static/pouls/pouls-forms.js) in a real browser: a client's website on another
origin, Pouls served by gunicorn, the lead in the client's schema with the visit's UTMs."""

from __future__ import annotations

import pytest

from campaigns.tests.factories import LandingPageFactory
from leads.models import Lead, LeadActivity
from leads.tests.factories import CaptureFormFactory
from tests.browser import browser_page, screenshot
from tests.processes import static_site

pytestmark = pytest.mark.browser

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<script src="{pouls}/static/pouls/pouls-forms.js" data-client="alpha" data-form-key="contact" defer></script>
</head><body>{body}</body></html>
"""
LANDING = '<h1>Spring offer</h1><a id="to-contact" href="/contact.html">Contact us</a>'
CONTACT = """<h1>Contact</h1>
<form data-pouls-form>
  <label>Email <input type="email" name="email" required></label>
  <label>First name <input name="first_name"></label>
  <input name="website" tabindex="-1" autocomplete="off" style="display:none">
  <button type="submit">Send</button>
  <p data-pouls-success hidden>Thank you!</p>
  <p data-pouls-error hidden>Sorry, that did not work.</p>
</form>
"""


@pytest.fixture(scope="module")
def website(pouls, tmp_path_factory) -> str:
    """The client's own website: static pages on another origin, with the snippet."""
    root = tmp_path_factory.mktemp("website")
    pages = {
        "landing.html": ("Spring offer", LANDING),
        "contact.html": ("Contact", CONTACT),
        "merci.html": ("Merci", ""),
    }
    for name, (title, body) in pages.items():
        (root / name).write_text(PAGE.format(title=title, pouls=pouls, body=body))
    with static_site(root) as url:
        yield url


@pytest.fixture
def contact_form(committed, in_client, website):
    """The test runs in alpha, whose form `contact` accepts the website's origin, with a landing page for
    its contact page."""
    in_client(committed.alpha)
    page = LandingPageFactory(key="contact-page", name="Contact page", url=f"{website}/contact.html")
    yield CaptureFormFactory(allowed_origins=website, redirect_url=f"{website}/merci.html")
    page.delete()


def _lead(email: str) -> Lead | None:
    return Lead.objects.select_related("channel", "landing_page").filter(email=email).first()


def test_the_snippet_sends_the_visits_utms_from_a_later_page(committed, website, contact_form):
    with browser_page(website) as page:
        # given a visitor who arrived from a newsletter, then went on to the contact page
        page.goto("/landing.html?utm_source=newsletter&utm_medium=email")
        page.click("#to-contact")
        page.wait_for_url("**/contact.html")
        # when they fill in the form and send it
        page.fill("input[name=email]", "Reader@Example.com")
        page.fill("input[name=first_name]", "Rita")
        page.click("button[type=submit]")
        # then the page says so without leaving (fetch across origins, CORS allowed)
        page.wait_for_selector("form[data-pouls-state=sent]")
        assert page.locator("[data-pouls-success]").is_visible()
        assert page.url.endswith("/contact.html")
        assert page.context.cookies() == []
        screenshot(page, "capture-snippet-sent")
    # and the lead is in alpha with the newsletter's attribution
    lead = _lead("reader@example.com")
    assert lead is not None
    assert (lead.first_name, lead.utm_source, lead.utm_medium, lead.channel.key) == (
        "Rita",
        "newsletter",
        "email",
        "email",
    )
    assert lead.landing_page.key == "contact-page"
    assert list(lead.activities.values_list("kind", "ref")) == [(LeadActivity.Kind.FORM_SUBMIT, "contact")]


def test_without_fetch_the_snippet_falls_back_to_a_plain_form_post(committed, website, contact_form):
    with browser_page(website) as page:
        # given a browser without fetch
        page.add_init_script("delete window.fetch;")
        page.goto("/landing.html?utm_source=newsletter&utm_medium=email&utm_campaign=spring")
        page.click("#to-contact")
        page.wait_for_url("**/contact.html")
        # when the visitor sends the form
        page.fill("input[name=email]", "old-browser@example.com")
        page.click("button[type=submit]")
        # then the browser posts it and lands on the form's thank-you URL
        page.wait_for_url("**/merci.html")
    lead = _lead("old-browser@example.com")
    assert lead is not None
    assert (lead.utm_source, lead.utm_medium, lead.utm_campaign, lead.channel.key) == (
        "newsletter",
        "email",
        "spring",
        "email",
    )
