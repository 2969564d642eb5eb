"""The portfolio, page and API, a page at a time (issue 18): sorted, filtered and paged in SQL on the
public Pulse rows, the rows of the page's clients only, the same queries whatever the number of clients.

The portfolio reads public tables only (clients, pulses, headlines, sources), so the many clients
here are Client rows without a schema (``bulk_create`` skips the schema ``save`` would create)."""

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conftest import GOLDEN_AS_OF as AS_OF
from portfolio.models import Headline, Pulse
from portfolio.selectors import portfolio_for
from tenants.models import Client

API = "/api/v1/portfolio/"


def _fake_clients(agency, count: int, *, prefix: str = "fake") -> list[Client]:
    """``count`` clients of ``agency`` in the public schema only, with a pulse (reds, anomalies and
    pacing varied, a few never refreshed) and two months of leads."""
    clients = Client.objects.bulk_create(
        Client(schema_name=f"{prefix}_{i:03}", slug=f"{prefix}-{i:03}", name=f"{prefix.title()} {i:03}", agency=agency)
        for i in range(count)
    )
    Pulse.objects.bulk_create(
        Pulse(client=c, as_of=AS_OF, red=i % 3, anomalies=i % 2, pacing=None if i % 5 == 0 else (i % 7) / 10)
        for i, c in enumerate(clients)
        if i % 11 != 10  # some never refreshed
    )
    Headline.objects.bulk_create(
        Headline(client=c, kpi="leads", start=start, value=i, is_partial=start.month == 4)
        for i, c in enumerate(clients)
        for start in (date(2026, 3, 1), date(2026, 4, 1))
    )
    return clients


def _slugs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def _rows(html: str) -> list[str]:
    return re.findall(r'<tr class="portfolio-row[^"]*" data-client="([^"]+)"', html)


def _all_pages(http, **params) -> list[str]:
    slugs, page = [], 1
    while True:
        body = http.get(API, {**params, "page": page}).json()
        slugs += [row["slug"] for row in body["results"]]
        if body["next"] is None:
            return slugs
        page += 1


def test_the_api_pages_worst_first_by_default_as_the_whole_list_sorts_it(http_as, world):
    _fake_clients(world.agency, 30)
    owner = http_as(world.owner)
    body = owner.get(API, {"page_size": 12}).json()
    assert body["count"] == 32  # 30 + alpha and beta
    assert body["previous"] is None and "page=2" in body["next"] and "page_size=12" in body["next"]
    assert len(body["results"]) == 12
    # the SQL order is the one PortfolioRow.sort_key gives the whole list: red, anomalies, pacing, name
    expected = [row.access.client.slug for row in portfolio_for(world.owner)]
    assert _all_pages(owner, page_size=12) == expected
    first = body["results"][0]
    assert (first["red"], first["anomalies"], first["needs_attention"]) == (2, 1, True)
    assert _slugs(owner.get(API, {"page_size": 12, "page": 3}))[-2:] == expected[-2:]
    last = owner.get(API, {"page_size": 12, "page": 3}).json()
    assert last["next"] is None and "page=2" in last["previous"]
    # existing fields of each result are kept
    assert {"slug", "name", "url", "role", "month", "kpis", "sources", "pacing", "misses"} <= set(first)


def test_the_api_sorts_by_name_filters_attention_and_searches(http_as, world):
    _fake_clients(world.agency, 20)
    owner = http_as(world.owner)
    by_name = _all_pages(owner, sort="name", page_size=7)
    assert by_name == sorted(by_name, key=str.lower) and by_name[:2] == ["alpha", "beta"] and len(by_name) == 22
    attention = _all_pages(owner, attention="true", page_size=5)
    expected = [r.access.client.slug for r in portfolio_for(world.owner, attention_only=True)]
    assert attention == expected and "alpha" not in attention and len(attention) < 20
    assert owner.get(API, {"attention": "true"}).json()["count"] == len(expected)
    assert _slugs(owner.get(API, {"q": "fake 01", "sort": "name"})) == [f"fake-{i:03}" for i in range(10, 20)]
    assert _slugs(owner.get(API, {"q": "ALPHA"})) == ["alpha"]
    assert owner.get(API, {"q": "nothing like it"}).json() == {
        "count": 0,
        "next": None,
        "previous": None,
        "results": [],
    }


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "two"}, "page"),
        ({"page_size": "201"}, "page_size"),
        ({"page_size": "0"}, "page_size"),
        ({"sort": "worst-ever"}, "sort"),
        ({"attention": "maybe"}, "attention"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_paging_values_are_400_with_a_field_error(http_as, world, params, field):
    _fake_clients(world.agency, 20)
    response = http_as(world.owner).get(API, params)
    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_another_agencys_clients_never_show_nor_count(http_as, world):
    _fake_clients(world.agency, 25)
    _fake_clients(world.other_agency, 5, prefix="other")
    mine = http_as(world.owner).get(API, {"page_size": 200}).json()
    assert mine["count"] == 27 and not [s for s in _slugs_of(mine) if s.startswith("other") or s == "gamma"]
    theirs = http_as(world.other_owner).get(API, {"q": "fake"}).json()
    assert (theirs["count"], theirs["results"]) == (0, [])
    theirs = http_as(world.other_owner).get(API).json()
    assert theirs["count"] == 6 and set(_slugs_of(theirs)) == {"gamma"} | {f"other-{i:03}" for i in range(5)}
    # a client's own people: their clients only
    assert _slugs(http_as(world.viewer_beta).get(API)) == ["beta"]
    assert http_as(world.outsider).get(API).json()["count"] == 0


def test_a_page_past_the_end_is_a_404_as_in_every_paged_api(http_as, world):
    _fake_clients(world.agency, 20)  # 22 clients: one page of 50, three of 10
    owner = http_as(world.owner)
    assert owner.get(API, {"page": "2"}).status_code == 404
    assert owner.get(API, {"page": "3", "page_size": "10"}).status_code == 200
    assert owner.get(API, {"page": "4", "page_size": "10"}).status_code == 404
    # nothing to show is one empty page, not a 404
    assert http_as(world.outsider).get(API, {"page": "1"}).json()["count"] == 0


def _slugs_of(body: dict) -> list[str]:
    return [row["slug"] for row in body["results"]]


def test_the_page_shows_50_clients_with_pages_that_keep_the_sort_and_filters(http_as, world):
    _fake_clients(world.agency, 60)
    owner = http_as(world.owner)
    owner.cookies["django_language"] = "en"
    html = owner.get("/", {"sort": "name"}).content.decode()
    rows = _rows(html)
    assert len(rows) == 50 and rows[:2] == ["alpha", "beta"]
    assert "62 client accounts." in html and "Page 1 of 2" in html
    assert 'href="?sort=name&amp;page=2" rel="next"' in html
    second = _rows(owner.get("/", {"sort": "name", "page": "2"}).content.decode())
    assert second == [f"fake-{i:03}" for i in range(48, 60)]
    # a page number it cannot read: the first page; past the last: the last one
    assert _rows(owner.get("/", {"sort": "name", "page": "x"}).content.decode()) == rows
    assert _rows(owner.get("/", {"sort": "name", "page": "99"}).content.decode()) == second
    assert owner.get("/", {"page_size": "5000"}).status_code == 200  # out of bounds: 50
    # the filters stay in the pages' links, and the search in the tabs'
    html = owner.get("/", {"attention": "1", "page_size": "10", "q": "fake"}).content.decode()
    assert 'href="?attention=1&amp;q=fake&amp;page_size=10&amp;page=2"' in html
    assert 'href="?sort=name&amp;attention=1&amp;q=fake&amp;page_size=10"' in html
    assert "shown by the filter" in html
    assert "No client account matches" in owner.get("/", {"q": "zzz"}).content.decode()


def _statements(http, path: str, params: dict) -> list[str]:
    http.get(path, params)
    with CaptureQueriesContext(connection) as captured:
        assert http.get(path, params).status_code == 200
    return [q["sql"] for q in captured.captured_queries if not q["sql"].startswith("SET search_path")]


def _ids_read(statements: list[str], table: str) -> int:
    """How many client ids the query of ``table`` reads (its ``client_id IN (…)``)."""
    [sql] = [s for s in statements if f'FROM "{table}"' in s]
    return len(re.search(r'"client_id" IN \(([^)]*)\)', sql).group(1).split(","))


@pytest.mark.parametrize("path", ["/", API])
def test_queries_and_rows_read_do_not_grow_with_clients_beyond_the_page(http_as, world, path):
    owner = http_as(world.owner)
    params = {"page_size": 50}
    _fake_clients(world.agency, 1)  # 3 clients
    few = _statements(owner, path, params)
    _fake_clients(world.agency, 58, prefix="more")  # 61 clients
    many = _statements(owner, path, params)
    assert len(many) == len(few), many
    for table in ("portfolio_headline", "connectors_source"):
        assert (_ids_read(few, table), _ids_read(many, table)) == (3, 50)
    # the clients come from one query limited to the page, with their pulses (joined for the sort
    # anyway: no query of their own) and their count (a window over the rows before the LIMIT)
    [page] = [s for s in many if 'FROM "tenants_client"' in s and "LIMIT 50" in s]
    assert "ORDER BY" in page and '"portfolio_pulse"."as_of"' in page and "OVER ()" in page
    assert not [s for s in many if 'FROM "portfolio_pulse"' in s]
    assert not [s for s in many if s.startswith("SELECT COUNT(")]
