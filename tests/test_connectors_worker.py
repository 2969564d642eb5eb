"""The sync's plumbing in a real Celery worker, against the fake GA4 on loopback (the providers' own end
to end tests are tests/test_connectors_google_e2e.py and tests/test_connectors_meta_e2e.py): the periodic
``connectors.due`` claims a source whose slot has come and sends its sync to the worker in the client's
schema; GA4 unavailable beyond the requests' retries fails the first attempt (the source shows it) and
the task's own retry finishes the backfill; the KPI refresh queued after each chunk's commit counts the
connector's visits and not the imported ones of the same day."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from campaigns.models import FactSource, Traffic
from connectors.models import Source, SourceKind, SourceStatus
from connectors.tasks import connectors_due
from connectors.windows import backfill_first_day, chunks, source_yesterday
from kpis.models import Snapshot
from tests.connector_worker import google_grant, rows_removed_after, worker_on_own_queue
from tests.fakes.base import Answer, FakeServer, TokenBook, serving
from tests.fakes.ga4 import FakeGa4
from tests.fakes.google_oauth import FakeGoogleOAuth
from tests.processes import wait_for

pytestmark = pytest.mark.worker

PROPERTY = "properties/27182818"
REPORT = f"/v1beta/{PROPERTY}:runReport"


@pytest.fixture
def platform():
    tokens = TokenBook()
    server = FakeServer()
    ga4 = FakeGa4(tokens)
    login = FakeGoogleOAuth(tokens, client_id="google-app-worker", client_secret="google-secret-worker")
    ga4.install(server)
    login.install(server)
    with serving(server):
        yield (
            server,
            ga4,
            tokens,
            {
                **login.settings(server),
                "POULS_GA4_DATA_URL": server.base_url,
                "POULS_GA4_ADMIN_URL": server.base_url,
            },
        )


@pytest.fixture
def worker(committed, platform, settings, tmp_path):
    """A worker on its own queue, the requests retried once only (so a few 503s exhaust them), and the
    KPI refresh after writes on, as in production."""
    env = {**platform[3], "POULS_CONNECTOR_RETRIES": "1", "POULS_KPI_REFRESH_AFTER_WRITES": "true"}
    with worker_on_own_queue(settings, tmp_path / "worker.log", env) as queue:
        yield queue


@pytest.fixture
def source(committed, platform):
    """alpha's GA4 source, due a minute ago, through a Google grant the fake knows."""
    _server, _ga4, tokens, _env = platform
    connection = google_grant(committed.agency, tokens)
    source = Source.objects.create(
        client=committed.alpha,
        connection=connection,
        kind=SourceKind.GA4,
        external_id=PROPERTY,
        next_run_at=timezone.now() - timedelta(minutes=1),
    )
    with rows_removed_after(committed.alpha, connection, {Traffic: [FactSource.GA4, FactSource.IMPORT]}):
        yield source


def visits_snapshot(client, day) -> float | None:
    with tenant_context(client):
        row = Snapshot.objects.filter(kpi="visits", period="day", start=day, dimension="", key="").first()
        return None if row is None else row.value


def test_due_sends_the_sync_to_the_worker_which_retries_an_unavailable_platform_and_the_kpis_follow(
    committed, platform, worker, source
):
    server, ga4, _tokens, _env = platform
    alpha = committed.alpha
    yesterday = source_yesterday(source, timezone.now())
    first = backfill_first_day(yesterday)
    ga4.add_property(PROPERTY, "alpha.example")
    day = first
    while day <= yesterday:
        ga4.set_sessions(PROPERTY, day, "Organic Search", "/", 10 + day.toordinal() % 5)
        day += timedelta(days=1)
    covered = yesterday - timedelta(days=3)
    with tenant_context(alpha):
        from campaigns.tests.factories import builtin_channel

        Traffic.objects.create(date=covered, channel=builtin_channel("direct"), visits=1000)  # imported
    # GA4 unavailable for both attempts of the first request: the task's first attempt fails
    unavailable = Answer(
        503, {"error": {"code": 503, "message": "The service is unavailable.", "status": "UNAVAILABLE"}}
    )
    server.queue(REPORT, [unavailable, unavailable])

    assert connectors_due() == {"sent": 1, "failed": 0}
    assert connectors_due() == {"sent": 0, "failed": 0}  # claimed: the next tick sends nothing

    def synced() -> bool:
        source.refresh_from_db()
        return source.status == SourceStatus.OK

    assert wait_for(synced, timeout=180), source.last_error
    assert (source.first_day, source.last_day, source.last_error) == (first, yesterday, "")
    assert source.last_rows_written == (yesterday - first).days + 1
    assert source.next_run_at > timezone.now()
    # the two 503s, then one page per chunk (the retried attempt read the whole backfill)
    assert len(server.calls_to(REPORT)) == 2 + len(chunks(first, yesterday))

    # the refresh queued after the chunks' commits counts GA4's visits of the covered day, not the import's
    expected = 10 + covered.toordinal() % 5
    assert wait_for(lambda: visits_snapshot(alpha, covered) == expected, timeout=120), visits_snapshot(alpha, covered)
