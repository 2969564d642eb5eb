"""Error pages in Pouls' look and the user's language, never Django's debug pages; the API keeps
its JSON errors; the logout message and the favicon (issue 14)."""

import pytest
from django.test import RequestFactory
from django.utils import translation

from config import api_errors

DEBUG_PAGE_SIGNS = ("URLconf", "urlpatterns", "Django tried these URL patterns", "technical_404")


@pytest.fixture(autouse=True)
def _no_debug(settings):
    # `make demo` runs without DEBUG; with it, Django answers its own technical pages instead.
    settings.DEBUG = False


def page(response) -> str:
    return response.content.decode()


def assert_in_pouls_look(html: str):
    assert 'class="topbar"' in html and 'class="brand"' in html  # base.html's top bar
    assert 'data-testid="error-page"' in html and 'data-testid="error-home"' in html
    for sign in DEBUG_PAGE_SIGNS:
        assert sign not in html


@pytest.mark.parametrize("path", ["/c/alpha/no-such-page/", "/no-such-page/"])
def test_a_french_user_gets_a_french_404_in_pouls_look(http_as, world, path):
    response = http_as(world.manager_alpha).get(path)
    assert response.status_code == 404
    html = page(response)
    assert_in_pouls_look(html)
    assert '<html lang="fr">' in html
    assert "Page introuvable" in html and "Retour à l'accueil" in html
    assert "Page not found" not in html


def test_an_english_user_gets_an_english_404(http_as, world):
    response = http_as(world.other_owner).get("/c/gamma/no-such-page/")
    assert response.status_code == 404
    html = page(response)
    assert_in_pouls_look(html)
    assert "Page not found" in html and "Back to the home page" in html
    assert "Page introuvable" not in html


def test_a_viewer_on_a_sales_screen_gets_a_403_page_in_their_language(http_as, world):
    response = http_as(world.viewer_alpha).get("/c/alpha/leads/")  # the pipeline: the team only
    assert response.status_code == 403
    html = page(response)
    assert_in_pouls_look(html)
    assert "Accès refusé" in html and "Access refused" not in html


def test_the_api_still_answers_json_404(http_as, world):
    response = http_as(world.manager_alpha).get("/c/alpha/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert "detail" in response.json()


@pytest.mark.parametrize(("language", "heading"), [("fr", "Un problème est survenu"), ("en", "Something went wrong")])
def test_the_500_page_renders_without_a_request_context(language, heading):
    request = RequestFactory().get("/some/page/")
    with translation.override(language):
        response = api_errors.server_error(request)
    assert response.status_code == 500
    html = page(response)
    assert heading in html and f'<html lang="{language}">' in html
    assert 'href="/static/pouls/app.css"' in html  # Pouls' stylesheet, no inline style (CSP)
    assert "<style" not in html and "<script" not in html


def test_the_400_page_is_pouls_own(http_as, world):
    request = RequestFactory().get("/some/page/")
    request.user = world.owner
    with translation.override("en"):
        response = api_errors.bad_request(request, ValueError("too many fields"))
    assert response.status_code == 400
    assert "Malformed request" in page(response) and 'class="topbar"' in page(response)


@pytest.mark.parametrize(
    ("user", "message"), [("viewer_alpha", "Vous êtes déconnecté."), ("other_owner", "You are logged out.")]
)
def test_logging_out_says_so_on_the_login_page(http_as, world, user, message):
    browser = http_as(getattr(world, user))
    response = browser.post("/accounts/logout/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/"
    html = page(response)
    assert message in html
    assert 'name="password"' in html  # the login form itself
    assert message not in page(browser.get("/accounts/login/"))  # said once


def test_the_favicon_is_linked_and_favicon_ico_answers(http_as, world):
    html = page(http_as(world.owner).get("/"))
    assert '<link rel="icon" href="/static/pouls/favicon.svg" type="image/svg+xml">' in html
    response = http_as(None).get("/favicon.ico")
    assert response.status_code in (301, 302)
    assert response["Location"] == "/static/pouls/favicon.svg"
    icon = http_as(None).get(response["Location"])
    assert icon.status_code == 200
    assert b"<svg" in b"".join(icon.streaming_content if icon.streaming else [icon.content])
