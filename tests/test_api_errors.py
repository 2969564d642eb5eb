"""An unexpected failure under an API path answers JSON (scripts parse it); pages keep Django's HTML 500."""

import pytest

import kpis.selectors
import portfolio.api
import portfolio.views


def boom(*args, **kwargs):
    raise RuntimeError("an unexpected failure")


@pytest.fixture
def failing(http_as):
    def make(user):
        client = http_as(user)
        client.raise_request_exception = False  # answer as a server would, with handler500
        return client

    return make


def test_a_failure_in_a_clients_api_answers_json(failing, world, monkeypatch):
    monkeypatch.setattr(kpis.selectors, "pacing_for", boom)
    response = failing(world.manager_alpha).get("/c/alpha/api/v1/kpis/pacing/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["detail"] in ("A server error occurred.", "Une erreur du serveur est survenue.")


def test_a_failure_in_the_platform_api_answers_json_and_a_page_answers_html(failing, world, monkeypatch):
    monkeypatch.setattr(portfolio.api, "portfolio_for", boom)
    monkeypatch.setattr(portfolio.views, "portfolio_for", boom)
    owner = failing(world.owner)
    api = owner.get("/api/v1/portfolio/")
    assert (api.status_code, api["Content-Type"]) == (500, "application/json")
    assert "detail" in api.json()
    page = owner.get("/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")
