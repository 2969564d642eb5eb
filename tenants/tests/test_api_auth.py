"""How the API answers about credentials: missing or bad credentials are a 401 that says how to
authenticate (``WWW-Authenticate: Token``), not a 403; browsers keep their session with its CSRF check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client as HttpClient
from django.utils import timezone
from knox.models import AuthToken

API = "/c/alpha/api/v1"


def _token(user, **kwargs) -> str:
    _, token = AuthToken.objects.create(user=user, **kwargs)
    return token


@pytest.fixture
def tokens(db, world):
    """A valid token of alpha's manager, an expired one, a revoked one and one never issued."""
    expired = _token(world.manager_alpha, expiry=timedelta(days=1))
    AuthToken.objects.filter(token_key=expired[:15]).update(expiry=timezone.now() - timedelta(seconds=1))
    revoked = _token(world.manager_alpha)
    AuthToken.objects.filter(token_key=revoked[:15]).delete()
    return {
        "valid": _token(world.manager_alpha),
        "expired": expired,
        "revoked": revoked,
        "made up": "pouls_" + "0" * 64,
    }


@pytest.mark.parametrize("kind", ["expired", "revoked", "made up"])
@pytest.mark.parametrize("path", [f"{API}/leads/", f"{API}/kpis/definitions/", "/api/v1/portfolio/", "/api/v1/tokens/"])
def test_a_bad_token_is_a_401_that_says_how_to_authenticate(tokens, path, kind):
    response = HttpClient().get(path, headers={"Authorization": f"Token {tokens[kind]}"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("path", [f"{API}/leads/", "/api/v1/portfolio/"])
def test_no_credentials_at_all_is_a_401_too(db, world, path):
    response = HttpClient().get(path)
    assert (response.status_code, response["WWW-Authenticate"]) == (401, "Token")


def test_a_valid_token_is_served(tokens):
    response = HttpClient().get(f"{API}/leads/", headers={"Authorization": f"Token {tokens['valid']}"})
    assert response.status_code == 200


def test_a_browser_session_still_signs_in_and_its_writes_need_the_csrf_token(db, world):
    # given a signed-in browser whose client checks CSRF like a real one
    browser = HttpClient(enforce_csrf_checks=True)
    browser.force_login(world.sales_alpha)
    body = {"key": "podcasts", "name": "Podcasts"}
    # then it reads with its session, and a write without the CSRF token is refused (403), with it accepted
    assert browser.get(f"{API}/channels/").status_code == 200
    refused = browser.post(f"{API}/channels/", body, content_type="application/json")
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    secret = "pouls" * 6 + "ok"  # a CSRF cookie as a page sets it (32 characters), echoed by the script
    browser.cookies["csrftoken"] = secret
    accepted = browser.post(f"{API}/channels/", body, content_type="application/json", headers={"X-CSRFToken": secret})
    assert accepted.status_code == 201, accepted.content


def test_a_member_without_the_role_still_gets_a_403(db, world):
    viewer = HttpClient()
    viewer.force_login(world.viewer_alpha)
    response = viewer.post(f"{API}/channels/", {"key": "tv", "name": "TV"}, content_type="application/json")
    assert response.status_code == 403
    assert "WWW-Authenticate" not in response
