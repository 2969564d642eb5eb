"""In a real browser, on the demo data served by gunicorn: a client's manager creates a share link;
someone without an account opens it in a fresh browser (no cookies) and sees the dashboard, its
cards and its charts drawn, with nothing that leads into the product; once the manager revokes the
link, the same URL answers 404."""

from __future__ import annotations

import pytest

from tests import first_hour
from tests.browser import browser_people, screenshot

demo_server = first_hour.demo_server  # the demo accounts, committed, served by gunicorn (one home)
MANAGER, SLUG = "marketing@maison-lumiere.fr", "maison-lumiere"


@pytest.fixture
def share_links_removed(demo_server, django_db_blocker):
    """The demo data are committed: take this test's links away afterwards."""
    yield
    from django_tenants.utils import tenant_context

    from dashboards.models import ShareLink
    from tenants.models import Client

    with django_db_blocker.unblock(), tenant_context(Client.objects.get(slug=SLUG)):
        ShareLink.objects.filter(label="Comité de pilotage").delete()


@pytest.mark.browser
def test_a_share_link_opens_the_dashboard_without_an_account_until_it_is_revoked(demo_server, share_links_removed):
    with browser_people(demo_server) as new_page:
        # given the manager on the Share page of their client
        manager = new_page()
        first_hour.log_in(manager, MANAGER, "fr")
        manager.goto(f"/c/{SLUG}/")
        manager.click("[data-testid=share-page-link]")
        manager.wait_for_url(f"**/c/{SLUG}/dashboard/share/")
        # when they create a link to the last complete month
        manager.fill("#label", "Comité de pilotage")
        with manager.expect_navigation():
            manager.click("[data-testid=share-form] button[type=submit]")
        url = manager.locator("[data-testid=new-share-url]").input_value()
        assert f"/c/{SLUG}/s/" in url
        manager.click("[data-copy]")  # the copy button answers (the clipboard itself is the browser's)
        assert manager.locator("[data-copy]").inner_text() != ""
        screenshot(manager, "share-link-created")

        # then someone without an account, in a fresh browser, sees the dashboard
        visitor = new_page()
        violations = []
        visitor.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        response = visitor.goto(url)
        assert response.status == 200 and response.headers["x-robots-tag"] == "noindex, nofollow"
        visitor.wait_for_selector("#dashboard[data-loaded=true]")
        assert visitor.locator("[data-testid=client-title]").inner_text() == "Maison Lumière"
        assert visitor.locator("[data-testid^=card-]").count() > 0
        assert visitor.locator("canvas[data-drawn=true]").count() > 0
        # and nothing that leads into the product
        assert visitor.locator(".topnav, [data-testid=period-picker], [data-role=csv], #id_username").count() == 0
        hrefs = visitor.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
        assert all(h.startswith("#") for h in hrefs), hrefs
        assert not violations, violations
        screenshot(visitor, "share-link-opened")

        # when the manager revokes it
        manager.goto(f"/c/{SLUG}/dashboard/share/")
        row = manager.locator("tr", has_text="Comité de pilotage")
        with manager.expect_navigation():
            row.locator("button[data-testid^=revoke-]").click()
        assert row.get_attribute("data-status") == "revoked"

        # then the same URL answers 404, even to a fresh browser
        assert visitor.goto(url).status == 404
        assert new_page().goto(url).status == 404
