"""Swagger's "Try it out" calls the server the document names joined with an operation's path: each
client's OpenAPI document must name its own server so that this join is the real endpoint (issue 14)."""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.django_db


def _document(http, slug: str) -> dict:
    response = http.get(f"/c/{slug}/api/v1/schema/", {"format": "json"})
    assert response.status_code == 200
    return json.loads(response.content)


def _operation_path(document: dict, suffix: str) -> str:
    matches = [path for path in document["paths"] if path.endswith(suffix)]
    assert len(matches) == 1, (suffix, sorted(document["paths"]))
    return matches[0]


@pytest.mark.parametrize("suffix", ["/leads/", "/kpis/"])
def test_try_it_out_reaches_the_operation_of_the_clients_own_document(http_as, world, suffix):
    http = http_as(world.manager_alpha)
    document = _document(http, "alpha")
    [server] = document["servers"]
    url = server["url"].rstrip("/") + _operation_path(document, suffix)
    assert url.startswith("/c/alpha/api/v1/")
    response = http.get(url)
    assert response.status_code == 200, (url, response.status_code)


def test_each_client_document_names_its_own_server(http_as, world):
    alpha, beta = _document(http_as(world.owner), "alpha"), _document(http_as(world.owner), "beta")
    assert [s["url"] for s in alpha["servers"]] == ["/c/alpha"]
    assert [s["url"] for s in beta["servers"]] == ["/c/beta"]
