"""The portfolio shows each client's platform sources' health (a badge per platform, the error as
its title) and the API lists them, read in one query for all clients."""

from datetime import UTC, datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from connectors.models import Connection, Source

SUCCESS = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)


def _sources(world) -> None:
    google = Connection.objects.create(agency=world.agency, provider="google")
    meta = Connection.objects.create(agency=world.agency, provider="meta")
    Source.objects.create(
        client=world.alpha,
        connection=google,
        kind="ga4",
        external_id="properties/1",
        status="ok",
        last_success_at=SUCCESS,
    )
    Source.objects.create(
        client=world.alpha,
        connection=meta,
        kind="meta_ads",
        external_id="act_1",
        status="broken",
        last_error="The grant was revoked",
    )
    Source.objects.create(
        client=world.beta, connection=google, kind="google_ads", external_id="1234567890", status="failing"
    )


def _row(html: str, slug: str) -> str:
    start = html.index(f'data-client="{slug}"')
    return html[start : html.index("</tr>", start)]


def test_each_client_row_shows_a_badge_per_source(http_as, world):
    _sources(world)
    owner = http_as(world.owner)
    owner.cookies.load({"django_language": "en"})
    html = owner.get("/").content.decode()
    alpha, beta = _row(html, "alpha"), _row(html, "beta")
    assert 'class="source-badge source-ok" data-source="ga4">Google Analytics 4 · Syncing<' in alpha
    assert 'class="source-badge source-broken" data-source="meta_ads" title="The grant was revoked">' in alpha
    assert 'data-source="google_ads"' in beta and "Failing" in beta and "ga4" not in beta


def test_the_api_lists_each_clients_sources(http_as, world):
    _sources(world)
    rows = {r["slug"]: r["sources"] for r in http_as(world.owner).get("/api/v1/portfolio/").json()["results"]}
    assert rows["alpha"] == [
        {"kind": "ga4", "status": "ok", "last_success_at": "2026-12-02T06:00:00Z"},
        {"kind": "meta_ads", "status": "broken", "last_success_at": None},
    ]
    assert rows["beta"] == [{"kind": "google_ads", "status": "failing", "last_success_at": None}]
    # another agency's sources never show
    assert [r["sources"] for r in http_as(world.other_owner).get("/api/v1/portfolio/").json()["results"]] == [[]]


def test_the_sources_cost_one_query_whatever_the_number_of_clients(http_as, world):
    owner = http_as(world.owner)
    owner.get("/")

    def count() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert owner.get("/").status_code == 200
        return len([q for q in captured.captured_queries if not q["sql"].startswith("SET search_path")])

    before = count()
    _sources(world)
    assert count() == before
