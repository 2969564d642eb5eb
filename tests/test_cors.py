"""Cross-origin answers across the site: django-cors-headers (``config.cors``, the ``CORS_*`` settings)
opens the tracking endpoint to every website and nothing else; the endpoints answer their own
preflights."""

from __future__ import annotations

import pytest

from tenants.models import Client

SITE = "https://www.alpha.example"
PREFLIGHT = {"Origin": SITE, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}


def test_the_tracking_preflight_is_the_views_answer_with_the_librarys_headers(world, anonymous):
    response = anonymous.options("/c/alpha/track/", headers=PREFLIGHT)
    # the view's status and Allow, the library's Access-Control-* headers
    assert response.status_code == 204
    assert response["Allow"] == "POST, OPTIONS"
    assert response["Cache-Control"] == "no-store"
    assert (response["Access-Control-Allow-Origin"], response["Access-Control-Max-Age"]) == ("*", "86400")


def test_a_preflight_to_a_client_that_does_not_exist_or_is_suspended_is_a_404(world, anonymous):
    Client.objects.filter(pk=world.gamma.pk).update(is_active=False)
    for slug in ("no-such-client", "gamma"):
        response = anonymous.options(f"/c/{slug}/track/", headers=PREFLIGHT)
        assert response.status_code == 404, slug


@pytest.mark.parametrize(
    "path",
    ["/c/alpha/api/v1/leads/", "/c/alpha/capture/no-such-form/", "/c/alpha/track/elsewhere/", "/api/v1/tokens/", "/"],
)
def test_no_other_path_is_opened_to_other_websites(world, anonymous, path):
    # when another website's page asks, then reads
    preflight = anonymous.options(path, headers=PREFLIGHT)
    read = anonymous.get(path, headers={"Origin": SITE})
    # then nothing allows it: the API, the public pages and the capture forms keep their own rules
    assert "Access-Control-Allow-Origin" not in preflight
    assert "Access-Control-Allow-Origin" not in read
